package dev.berth.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.testing.BerthProcess;
import dev.berth.testing.Cli;
import dev.berth.testing.HttpConnection;
import dev.berth.testing.HttpLoad;
import dev.berth.testing.Proc;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `berth reload` and SIGHUP end to end: a real `berth up` in a child JVM with real gunicorn apps,
 * its config file edited, and the reload asked by the CLI (or by a signal). Traffic goes on
 * meanwhile, on keep-alive connections opened before the reload.
 */
class ReloadEndToEndTest {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;
  private int port;
  private Path config;

  // --- an invalid file --------------------------------------------------------------------------

  @Test
  void brokenConfigIsRejectedWithFileAndLineAndNothingIsDisturbed() throws Exception {
    try (BerthProcess berth = up(app("web", "") + route("/", "web"))) {
      Set<Long> before = pids();
      try (HttpConnection open = HttpConnection.open(port)) {
        assertThat(open.get("/page/x").status()).isEqualTo(200);

        write(
            listener(port)
                + app("web", "instances = 0\n")
                + route("/", "web")
                + route("/x", "nope"));
        Cli reload = cli("reload");
        assertThat(reload.exit()).as(reload.out()).isEqualTo(2);
        assertThat(reload.out()).isEmpty();
        assertThat(reload.err().lines())
            .anyMatch(
                l -> l.matches("berth\\.toml:\\d+: apps\\.web\\.instances: 0 \\(expected: .*"))
            .anyMatch(
                l -> l.matches("berth\\.toml:\\d+: routes\\[1]\\.app: \"nope\" \\(expected: .*"))
            .last()
            .isEqualTo("berth: reload not sent: the running berth keeps its current config");

        Cli json = cli("reload", "--json");
        assertThat(json.exit()).isEqualTo(2);
        JsonNode error = JSON.readTree(json.out());
        assertThat(error.path("ok").asBoolean()).isFalse();
        assertThat(error.path("code").asText()).isEqualTo("invalid_config");
        assertThat(error.path("error").asText()).contains("berth.toml:");

        // Not TOML at all: the same.
        write(listener(port) + "[apps.web\n");
        reload = cli("reload");
        assertThat(reload.exit()).isEqualTo(2);
        assertThat(reload.err()).containsPattern("(?m)^berth\\.toml:\\d+(:\\d+)?: ");

        // The connection opened before is untouched, and the old config still serves.
        HttpConnection.Response again = open.get("/page/y");
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.body()).contains("\"rest\":\"y\"");
      }
      // The file as it was (every CLI command needs a valid one): berth runs the same processes.
      write(listener(port) + app("web", "") + route("/", "web"));
      assertThat(pids()).isEqualTo(before);
      assertThat(berth.output()).doesNotContain("berth: reload");
    }
  }

  // --- routes -----------------------------------------------------------------------------------

  @Test
  void movedRouteIsLiveAtOnceAndConnectionsOpenedBeforeFollowIt() throws Exception {
    // /other first: the app stays mounted where it was (a move of its first route redeploys it,
    // ConfigChangeTest), and only the route table changes.
    String routes = route("/other", "web") + route("/a", "web");
    try (BerthProcess berth = up(app("web", "instances = 2\n") + routes)) {
      Set<Long> before = pids();
      try (HttpConnection open = HttpConnection.open(port);
          HttpLoad load = HttpLoad.start(port, "/other/page/load", 4)) {
        load.awaitMore(100, WAIT);
        HttpConnection.Response first = open.get("/a/page/x");
        assertThat(first.status()).isEqualTo(200);
        // Mounted under /a: the app builds its links with the prefix.
        assertThat(first.body()).contains("\"url\":\"/a/page/x\"");

        write(
            listener(port)
                + app("web", "instances = 2\n")
                + route("/other", "web")
                + route("/b", "web"));
        Cli reload = cli("reload");
        assertThat(reload.exit()).as(reload.err()).isZero();
        assertThat(reload.out().lines())
            .containsExactly(
                "route + /b -> web",
                "route - /a -> web",
                "berth: reloaded " + config + ": 2 change(s)");
        load.awaitMore(100, WAIT);

        // The same connection, its next requests: routed by the new table.
        HttpConnection.Response old = open.get("/a/page/x");
        assertThat(old.status()).isEqualTo(404);
        assertThat(old.close()).isFalse();
        HttpConnection.Response moved = open.get("/b/page/x");
        assertThat(moved.status()).isEqualTo(200);
        assertThat(moved.body()).contains("\"url\":\"/b/page/x\"");

        load.awaitMore(100, WAIT);
        load.close();
        assertThat(load.failed()).as("failed requests: %s", load.failures()).isZero();
      }
      // Routes only: the apps were not restarted.
      assertThat(pids()).isEqualTo(before);
      // Nothing changed since: nothing to do.
      Cli again = cli("reload");
      assertThat(again.exit()).isZero();
      assertThat(again.out()).isEqualTo("berth: reloaded " + config + ": no changes");
      assertThat(berth.terminate(WAIT)).isZero();
    }
  }

  // --- apps -------------------------------------------------------------------------------------

  @Test
  void addedAppStartsBeforeItsRouteAndRemovedAppStopsAfterItsRouteIsGone() throws Exception {
    String base = app("web", "") + route("/web", "web");
    try (BerthProcess berth = up(base);
        HttpLoad load = HttpLoad.start(port, "/web/page/load", 3)) {
      load.awaitMore(50, WAIT);
      Set<Long> webPids = pids();

      write(
          listener(port)
              + base
              + app("second", "env = { GREETING = \"from second\" }\n")
              + route("/second", "second"));
      Cli add = cli("reload");
      assertThat(add.exit()).as(add.err()).isZero();
      // The added app runs from its own first release, a copy of its folder.
      List<String> lines = add.out().lines().toList();
      assertThat(lines.get(0))
          .startsWith(
              "app second: release 1 copied from "
                  + BerthProcess.testApp().toRealPath()
                  + " (first start), ");
      assertThat(lines.subList(1, lines.size()))
          .containsExactly(
              "app + second: started (1 web)",
              "route + /second -> second",
              "berth: reloaded " + config + ": 2 change(s)");
      HttpConnection.Response greeting;
      try (HttpConnection c = HttpConnection.open(port)) {
        greeting = c.get("/second/env/GREETING");
      }
      assertThat(greeting.status()).isEqualTo(200);
      assertThat(greeting.body()).isEqualTo("from second");
      JsonNode second = instance("second", 1);
      assertThat(second.path("state").asText()).isEqualTo("RUNNING");
      List<Proc> secondProcesses = tree(second.path("pid").asLong());
      assertThat(cli("logs", "second", "-n", "5").exit()).isZero();
      load.awaitMore(50, WAIT);

      write(listener(port) + base);
      Cli remove = cli("reload");
      assertThat(remove.exit()).as(remove.err()).isZero();
      assertThat(remove.out().lines())
          .containsExactly(
              "route - /second -> second",
              "app - second: stopped",
              "berth: reloaded " + config + ": 2 change(s)");
      try (HttpConnection c = HttpConnection.open(port)) {
        assertThat(c.get("/second/env/GREETING").status()).isEqualTo(404);
      }
      assertThat(secondProcesses).noneMatch(Proc::running);
      assertThat(status().path("instances")).allMatch(i -> i.path("app").asText().equals("web"));
      assertThat(cli("logs", "second").exit()).isEqualTo(1);

      load.awaitMore(50, WAIT);
      load.close();
      assertThat(load.failed()).as("failed requests: %s", load.failures()).isZero();
      assertThat(pids()).isEqualTo(webPids);
      assertThat(berth.terminate(WAIT)).isZero();
    }
  }

  @Test
  void changedAppIsRedeployedUnderLoadWithoutAFailedRequest() throws Exception {
    String routes = route("/", "web");
    try (BerthProcess berth =
        up(app("web", "instances = 2\nenv = { GREETING = \"one\" }\n") + routes)) {
      Set<Long> before = pids();
      try (HttpConnection open = HttpConnection.open(port);
          HttpLoad load = HttpLoad.start(port, "/page/load", 4)) {
        assertThat(open.get("/env/GREETING").body()).isEqualTo("one");
        load.awaitMore(100, WAIT);

        write(
            listener(port) + app("web", "instances = 3\nenv = { GREETING = \"two\" }\n") + routes);
        Cli reload = cli("reload");
        assertThat(reload.exit()).as(reload.err()).isZero();
        // The deploy flow's steps, indented, then the change.
        assertThat(reload.out().lines())
            .anyMatch(
                l -> l.strip().startsWith("-----> start    3 web (release 1, new definition)"))
            .anyMatch(
                l -> l.strip().startsWith("-----> switch   web.1-3 -> release 1, new definition"))
            .anyMatch(l -> l.strip().startsWith("-----> drain    old generation"))
            .containsSubsequence(
                "app ~ web: redeployed (3 web)", "berth: reloaded " + config + ": 1 change(s)");
        load.awaitMore(100, WAIT);
        load.close();
        assertThat(load.failed()).as("failed requests: %s", load.failures()).isZero();

        // Every instance runs the new definition; the connection opened before reaches them.
        for (int i = 0; i < 6; i++) {
          assertThat(open.get("/env/GREETING").body()).isEqualTo("two");
        }
      }
      JsonNode now = status();
      assertThat(now.path("instances"))
          .hasSize(3)
          .allMatch(i -> i.path("state").asText().equals("RUNNING"));
      assertThat(pids()).doesNotContainAnyElementsOf(before);
      assertThat(berth.terminate(WAIT)).isZero();
    }
  }

  @Test
  void failedRedeployKeepsTheRunningGenerationAndTheLaterStepsWait() throws Exception {
    Path flag = tmp.resolve("broken");
    java.nio.file.Files.writeString(flag, "");
    String routes = route("/a", "web");
    try (BerthProcess berth = up(app("web", "instances = 2\n") + routes)) {
      Set<Long> before = pids();
      try (HttpLoad load = HttpLoad.start(port, "/a/page/load", 4)) {
        load.awaitMore(100, WAIT);
        // A new definition whose processes cannot start (the import fails), and a new route.
        String broken =
            app("web", "instances = 2\nenv = { BROKEN_FLAG = \"" + flag + "\" }\n")
                .replace("wsgi:app", "flagged:app");
        write(listener(port) + broken + routes + route("/b", "web"));
        Cli reload = cli("reload");
        assertThat(reload.exit()).as(reload.out()).isEqualTo(1);
        assertThat(reload.err())
            .startsWith(
                "berth: reload failed; what it applied before the failure stays applied\nfailed: app ~ web: not redeployed: ")
            .endsWith("\nnot applied: route + /b -> web");
        load.awaitMore(100, WAIT);
        load.close();
        assertThat(load.failed()).as("failed requests: %s", load.failures()).isZero();
      }
      assertThat(pids()).isEqualTo(before);
      try (HttpConnection c = HttpConnection.open(port)) {
        assertThat(c.get("/b/page/x").status()).isEqualTo(404);
      }
      assertThat(berth.terminate(WAIT)).isZero();
    }
  }

  @Test
  void appGivenByUpstreamsIsAddedRepointedAndRemoved() throws Exception {
    // Two instances on TCP ports: the addresses a proxied app is pointed at.
    String base = app("web", "instances = 2\nsocket = \"tcp\"\n") + route("/web", "web");
    try (BerthProcess berth = up(base);
        HttpConnection open = HttpConnection.open(port)) {
      String first = instance("web", 1).path("endpoint").asText();
      String second = instance("web", 2).path("endpoint").asText();

      write(listener(port) + base + external(first) + route("/legacy", "legacy"));
      Cli add = cli("reload");
      assertThat(add.exit()).as(add.err()).isZero();
      assertThat(add.out().lines())
          .startsWith("app + legacy: proxying to " + first, "route + /legacy -> legacy");
      assertThat(open.get("/legacy/page/x").body()).contains("\"instance\":\"1\"");

      write(listener(port) + base + external(second) + route("/legacy", "legacy"));
      Cli repoint = cli("reload");
      assertThat(repoint.exit()).as(repoint.err()).isZero();
      assertThat(repoint.out().lines()).first().isEqualTo("app ~ legacy: proxying to " + second);
      for (int i = 0; i < 4; i++) {
        assertThat(open.get("/legacy/page/x").body()).contains("\"instance\":\"2\"");
      }

      write(listener(port) + base);
      Cli remove = cli("reload");
      assertThat(remove.exit()).as(remove.err()).isZero();
      assertThat(remove.out().lines())
          .startsWith("route - /legacy -> legacy", "app - legacy: no longer proxied");
      assertThat(open.get("/legacy/page/x").status()).isEqualTo(404);
      assertThat(open.get("/web/page/x").status()).isEqualTo(200);
      assertThat(berth.terminate(WAIT)).isZero();
    }
  }

  private static String external(String address) {
    return """

        [apps.legacy]
        upstreams = ["%s"]
        """
        .formatted(address);
  }

  // --- listeners --------------------------------------------------------------------------------

  @Test
  void addedAndRemovedListenerLeaveTheOtherListenersConnectionsAlone() throws Exception {
    String rest = app("web", "") + route("/", "web");
    try (BerthProcess berth = up(rest);
        HttpConnection first = HttpConnection.open(port)) {
      assertThat(first.get("/page/1").status()).isEqualTo(200);
      int second = BerthProcess.freePort();

      write(listener(port) + listener(second) + rest);
      Cli add = cli("reload");
      assertThat(add.exit()).as(add.err()).isZero();
      assertThat(add.out().lines()).first().isEqualTo("listener + 127.0.0.1:" + second);
      assertThat(first.get("/page/2").status()).isEqualTo(200);

      try (HttpConnection onSecond = HttpConnection.open(second)) {
        assertThat(onSecond.get("/page/3").status()).isEqualTo(200);

        write(listener(port) + rest);
        Cli remove = cli("reload");
        assertThat(remove.exit()).as(remove.err()).isZero();
        assertThat(remove.out().lines()).first().isEqualTo("listener - 127.0.0.1:" + second);
        // Idle on the removed listener: closed. The other listener's connection goes on.
        assertThat(onSecond.closedByServer()).isTrue();
      }
      assertThat(first.get("/page/4").status()).isEqualTo(200);
      assertThatThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), second).close())
          .isInstanceOf(ConnectException.class);
      assertThat(berth.terminate(WAIT)).isZero();
    }
  }

  // --- a step that fails ------------------------------------------------------------------------

  @Test
  void listenerThatCannotBindFailsTheReloadAndTheLaterStepsWaitForTheNextOne() throws Exception {
    String app = app("web", "");
    try (BerthProcess berth = up(app + route("/a", "web"));
        HttpConnection open = HttpConnection.open(port)) {
      assertThat(open.get("/a/page/x").status()).isEqualTo(200);
      int busy;
      try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
        busy = taken.getLocalPort();
        write(listener(port) + listener(busy) + app + route("/a", "web") + route("/c", "web"));
        Cli reload = cli("reload");
        assertThat(reload.exit()).isEqualTo(1);
        assertThat(reload.out()).isEmpty();
        assertThat(reload.err().lines())
            .containsExactly(
                "berth: reload failed; what it applied before the failure stays applied",
                reload.err().lines().toList().get(1),
                "not applied: route + /c -> web");
        assertThat(reload.err().lines().toList().get(1))
            .isEqualTo(
                "failed: berth.toml:8: listeners[1].address: 127.0.0.1:"
                    + busy
                    + " is already in use (by java, pid "
                    + ProcessHandle.current().pid()
                    + ")");
        assertThat(open.get("/c/page/x").status()).isEqualTo(404);
        assertThat(open.get("/a/page/x").status()).isEqualTo(200);
      }
      // The port is free now: the same file applies what was left.
      Cli again = cli("reload");
      assertThat(again.exit()).as(again.err()).isZero();
      assertThat(again.out().lines())
          .containsExactly(
              "listener + 127.0.0.1:" + busy,
              "route + /c -> web",
              "berth: reloaded " + config + ": 2 change(s)");
      assertThat(open.get("/c/page/x").status()).isEqualTo(200);
      try (HttpConnection onBusy = HttpConnection.open(busy)) {
        assertThat(onBusy.get("/a/page/x").status()).isEqualTo(200);
      }
      assertThat(berth.terminate(WAIT)).isZero();
    }
  }

  // --- SIGHUP -----------------------------------------------------------------------------------

  @Test
  void sighupReloadsAndReportsToBerthsOwnOutput() throws Exception {
    // Mounted at /keep throughout: moving /a is a change of routes only.
    String app = app("web", "");
    try (BerthProcess berth = up(app + route("/keep", "web") + route("/a", "web"));
        HttpConnection open = HttpConnection.open(port)) {
      assertThat(open.get("/a/page/x").status()).isEqualTo(200);

      write(listener(port) + app + route("/keep", "web") + route("/a", "nope"));
      hangUp(berth);
      berth.awaitLine("berth: reload rejected: " + config + " is not valid", WAIT);
      berth.awaitLine("berth:   berth.toml:", WAIT);
      assertThat(open.get("/a/page/x").status()).isEqualTo(200);

      // A state_dir of its own: refused whole, as the control socket and the logs are in the old
      // one.
      BerthProcess.write(
          config,
          "state_dir = \""
              + tmp
              + "/elsewhere\"\n"
              + listener(port)
              + app
              + route("/keep", "web")
              + route("/b", "web"));
      hangUp(berth);
      berth.awaitLine(
          "berth: reload rejected: " + config + " changes what cannot change while berth runs",
          WAIT);
      berth.awaitLine(
          "berth:   state_dir: " + tmp.resolve("state") + " -> " + tmp.resolve("elsewhere"), WAIT);
      assertThat(open.get("/a/page/x").status()).isEqualTo(200);

      write(listener(port) + app + route("/keep", "web") + route("/b", "web"));
      hangUp(berth);
      berth.awaitLine("berth: reloaded " + config + ": 2 change(s)", WAIT);
      assertThat(berth.output())
          .contains("berth: reload: route + /b -> web")
          .contains("berth: reload: route - /a -> web");
      assertThat(open.get("/b/page/x").status()).isEqualTo(200);
      assertThat(open.get("/a/page/x").status()).isEqualTo(404);
      // berth's own log has it too.
      assertThat(java.nio.file.Files.readString(tmp.resolve("state/log/berth.log")))
          .contains("route + /b -> web");
      assertThat(berth.terminate(WAIT)).isZero();
    }
  }

  // --- helpers ----------------------------------------------------------------------------------

  /**
   * An app running the test app under Debian's gunicorn, one worker, as root (tests run as root).
   */
  private static String app(String name, String extra) {
    return """

        [apps.%s]
        user = "root"
        dir = "%s"
        command = "/usr/bin/gunicorn --workers 1 wsgi:app"
        start_timeout = "20s"
        stop_timeout = "2s"
        drain_timeout = "5s"
        %s
        """
        .formatted(name, BerthProcess.testApp(), extra);
  }

  private static String route(String path, String app) {
    return """

        [[routes]]
        path = "%s"
        app = "%s"
        """
        .formatted(path, app);
  }

  private static String listener(int port) {
    return """

        [[listeners]]
        address = "127.0.0.1:%d"
        """
        .formatted(port);
  }

  /** Writes the config file: the fixed top, then {@code rest} (listeners, apps, routes). */
  private Path write(String rest) throws Exception {
    return BerthProcess.write(
        tmp.resolve("berth.toml"),
        """
        state_dir = "%s/state"
        shutdown_timeout = "5s"
        %s"""
            .formatted(tmp, rest));
  }

  /** `berth up` with one listener on a free port, and these apps and routes. */
  private BerthProcess up(String appsAndRoutes) throws Exception {
    BerthProcess berth =
        BerthProcess.upOnFreePort(
            free -> {
              port = free;
              return config = write(listener(free) + appsAndRoutes);
            });
    try {
      for (JsonNode i : status().path("instances")) {
        assertThat(i.path("state").asText())
            .as("%s\noutput:\n%s", i, berth.output())
            .isEqualTo("RUNNING");
      }
    } catch (AssertionError e) {
      berth.close();
      throw e;
    }
    return berth;
  }

  private static void hangUp(BerthProcess berth) throws Exception {
    Process kill =
        new ProcessBuilder("kill", "-HUP", Long.toString(berth.pid())).inheritIO().start();
    assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(kill.exitValue()).isZero();
  }

  private Cli cli(String... args) {
    return Cli.run(config, args);
  }

  private JsonNode status() throws Exception {
    return Cli.status(config);
  }

  private JsonNode instance(String app, int number) throws Exception {
    return Cli.instance(config, app, number);
  }

  private Set<Long> pids() throws Exception {
    Set<Long> pids = new HashSet<>();
    status().path("instances").forEach(i -> pids.add(i.path("pid").asLong()));
    return pids;
  }

  /** The process and its children. */
  private static List<Proc> tree(long pid) {
    Proc leader = Proc.of(pid).orElseThrow();
    List<Proc> tree = new ArrayList<>(leader.children());
    tree.add(leader);
    return tree;
  }
}
