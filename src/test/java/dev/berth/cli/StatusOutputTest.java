package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/**
 * What {@code berth status} and {@code berth restart} print from the daemon's answer: who serves
 * what, and the edits in an app's folder that its release does not have.
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
                "shop", JSON.readTree("{\"app\":\"shop\",\"release\":3,\"undeployed\":null}")))
        .isEqualTo("restarted shop (release 3)");
    assertThat(
            AppCommands.Restart.restarted(
                "shop",
                JSON.readTree(
                    "{\"app\":\"shop\",\"release\":3,\"undeployed\":" + UNDEPLOYED + "}")))
        .isEqualTo(
            "restarted shop; /srv/shop has changed since release 3 was copied from it (2 files"
                + " changed, 1 added: app.py, models.py, templates/new.html); run 'berth deploy"
                + " shop' to make it live");
    assertThat(AppCommands.Restart.restarted("shop", JSON.readTree("{\"app\":\"shop\"}")))
        .as("an older daemon's answer")
        .isEqualTo("restarted shop");
  }
}
