package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/**
 * What {@code berth status} and {@code berth restart} print from the daemon's answer: each instance
 * with the release it runs, who serves what, and the edits in an app's folder that its release does
 * not have.
 */
class StatusOutputTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static final String UNDEPLOYED =
      "{\"dir\":\"/srv/shop\",\"release\":3,\"changed\":2,\"added\":1,\"removed\":0,"
          + "\"files\":[\"app.py\",\"models.py\",\"templates/new.html\"],"
          + "\"text\":\"/srv/shop has changed since release 3 was copied from it (2 files changed,"
          + " 1 added: app.py, models.py, templates/new.html)\"}";

  @Test
  void routesAreATableOfHostPathAndWhatServesThemThenTheUndeployedEdits() throws Exception {
    JsonNode status =
        JSON.readTree(
            """
            {"pid":1,"instances":[],"log_lines_dropped":0,"certificates":[],
             "apps":[{"app":"shop","release":3,"undeployed":%s},
                     {"app":"blog","release":7,"undeployed":null},
                     {"app":"legacy","release":null,"undeployed":null}],
             "routes":[{"host":"","path":"/shop","app":"shop"},
                       {"host":"","path":"/shop/static","app":"shop","release_files":"static"},
                       {"host":"blog.example.com","path":"/","app":"blog"},
                       {"host":"*.example.com","path":"/old","redirect":"https://example.com{uri}","status":301},
                       {"host":"","path":"/media","static":"/srv/media"},
                       {"host":"","path":"/legacy","app":"legacy"}]}
            """
                .formatted(UNDEPLOYED));
    StringWriter out = new StringWriter();
    AppCommands.printRoutes(new PrintWriter(out, true), status);
    assertThat(out.toString())
        .isEqualTo(
            """

            HOST              PATH          SERVES
            (any)             /shop         app shop (release 3)
            (any)             /shop/static  files of app shop: static (release 3)
            blog.example.com  /             app blog (release 7)
            *.example.com     /old          redirect 301 https://example.com{uri}
            (any)             /media        files /srv/media
            (any)             /legacy       app legacy
            shop: /srv/shop has changed since release 3 was copied from it (2 files changed, 1 added: app.py, models.py, templates/new.html); run 'berth deploy shop' to make it live
            """);
  }

  @Test
  void eachInstanceShowsTheReleaseItRunsDuringADeployToo() throws Exception {
    // legacy runs from no release: berth only proxies to it.
    JsonNode status =
        JSON.readTree(
            """
            {"pid":1,"log_lines_dropped":0,"certificates":[],"apps":[],"routes":[],"instances":[
             {"tag":"shop.1","state":"RUNNING","release":3,"pid":101,"seconds":3700,"restarts":0,
              "recycled":0,"rss_bytes":52428800,"websockets":0,"endpoint":"unix:/run/shop-1.0.sock"},
             {"tag":"shop.2","state":"RUNNING","release":3,"pid":202,"seconds":2,"restarts":0,
              "recycled":0,"rss_bytes":1048576,"websockets":1,"endpoint":"unix:/run/shop-1.1.sock"},
             {"tag":"shop.clock.1","state":"STOPPED","release":3,"pid":0,"seconds":65,"restarts":1,
              "recycled":0,"rss_bytes":0,"websockets":0,"endpoint":""},
             {"tag":"legacy.1","state":"RUNNING","release":null,"pid":303,"seconds":5,"restarts":0,
              "recycled":0,"rss_bytes":2048,"websockets":0,"endpoint":"127.0.0.1:9000"}]}
            """);
    StringWriter out = new StringWriter();
    AppCommands.Status.print(new PrintWriter(out, true), status);
    assertThat(out.toString())
        .isEqualTo(
            """
            INSTANCE      STATE    PID  UPTIME    RESTARTS  RECYCLED  MEMORY  WEBSOCKETS  RELEASE  ENDPOINT
            shop.1        RUNNING  101  1h1m      0         0         50.0M   0           3        unix:/run/shop-1.0.sock
            shop.2        RUNNING  202  2s        0         0         1.0M    1           3        unix:/run/shop-1.1.sock
            shop.clock.1  STOPPED  -    for 1m5s  1         0         -       -           3        -
            legacy.1      RUNNING  303  5s        0         0         2K      0           -        127.0.0.1:9000
            """);
  }

  @Test
  void stopStartAndRestartNameTheTypeTheyActedOn() throws Exception {
    assertThat(AppCommands.what("shop", null)).isEqualTo("shop");
    assertThat(AppCommands.what("shop", "clock")).isEqualTo("shop's clock instances");
    assertThat(
            AppCommands.Restart.restarted(
                "shop",
                "worker",
                JSON.readTree("{\"app\":\"shop\",\"release\":3,\"undeployed\":null}")))
        .isEqualTo("restarted shop's worker instances (release 3)");
    assertThat(
            AppCommands.Restart.restarted(
                "shop",
                "worker",
                JSON.readTree(
                    "{\"app\":\"shop\",\"release\":3,\"undeployed\":" + UNDEPLOYED + "}")))
        .startsWith("restarted shop's worker instances; /srv/shop has changed since release 3")
        .endsWith("; run 'berth deploy shop' to make it live");
  }

  @Test
  void aRunningInstanceKeepsItsLastProblemInViewWithoutItsOutputAStoppedOneInFull()
      throws Exception {
    JsonNode status =
        JSON.readTree(
            """
            {"instances":[
              {"tag":"shop.1","state":"RUNNING"},
              {"tag":"shop.2","state":"RUNNING",
               "last_problem":"shop.2: exited unexpectedly with code 1\\n  last output: boom"},
              {"tag":"shop.worker.1","state":"RUNNING","last_problem":
               "shop.worker.1: still running 30s after SIGTERM; killed (SIGKILL) at 21:40:12 UTC"},
              {"tag":"shop.clock.1","state":"STOPPED",
               "last_problem":"shop.clock.1: exited with code 2\\n  last output: no db"}]}
            """);
    assertThat(AppCommands.problems(status))
        .containsExactly(
            "shop.2: exited unexpectedly with code 1",
            "shop.worker.1: still running 30s after SIGTERM; killed (SIGKILL) at 21:40:12 UTC",
            "shop.clock.1: exited with code 2\n  last output: no db");
  }

  @Test
  void noRoutesNoTable() throws Exception {
    StringWriter out = new StringWriter();
    AppCommands.printRoutes(
        new PrintWriter(out, true), JSON.readTree("{\"apps\":[],\"routes\":[]}"));
    assertThat(out.toString()).isEmpty();
  }

  @Test
  void aRestartNamesTheReleaseOrWhatItDoesNotHave() throws Exception {
    assertThat(
            AppCommands.Restart.restarted(
                "shop",
                null,
                JSON.readTree("{\"app\":\"shop\",\"release\":3,\"undeployed\":null}")))
        .isEqualTo("restarted shop (release 3)");
    assertThat(
            AppCommands.Restart.restarted(
                "shop",
                null,
                JSON.readTree(
                    "{\"app\":\"shop\",\"release\":3,\"undeployed\":" + UNDEPLOYED + "}")))
        .isEqualTo(
            "restarted shop; /srv/shop has changed since release 3 was copied from it (2 files"
                + " changed, 1 added: app.py, models.py, templates/new.html); run 'berth deploy"
                + " shop' to make it live");
    assertThat(AppCommands.Restart.restarted("shop", null, JSON.readTree("{\"app\":\"shop\"}")))
        .as("an older daemon's answer")
        .isEqualTo("restarted shop");
  }
}
