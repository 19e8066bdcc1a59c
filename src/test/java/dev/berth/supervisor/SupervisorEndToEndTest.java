package dev.berth.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.testing.Await;
import dev.berth.testing.BerthProcess;
import dev.berth.testing.Cli;
import dev.berth.testing.HttpLoad;
import dev.berth.testing.Proc;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The supervisor and its CLI end to end: a real `berth up` in a child JVM running real gunicorn
 * apps, and the CLI (`status`, `logs`, `start`, `stop`, `restart`) asking it over the control
 * socket. Processes are killed for real and looked for in /proc afterwards.
 */
class SupervisorEndToEndTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  /** Debian's gunicorn on Debian's python3 (the first python3 on PATH may be another one). */
  private static final String GUNICORN = "/usr/bin/gunicorn --workers 2";

  @TempDir Path tmp;
  private final HttpClient http = HttpClient.newHttpClient();
  private int port;
  private Path config;

  @AfterEach
  void closeClient() {
    http.close();
  }

  // --- 1. kill -9 under load ---------------------------------------------------------------------

  @Test
  void killedInstanceUnderLoadFailsNoRequestAndComesBackWithoutLeftovers() throws Exception {
    try (BerthProcess berth = up(web(2, "wsgi:app", ""))) {
      JsonNode before = awaitInstance("web", 1, i -> running(i) && workers(i) == 2);
      Proc master = Proc.of(before.path("pid").asLong()).orElseThrow();
      List<Proc> incarnation = new ArrayList<>(master.children());
      incarnation.add(master);
      assertThat(incarnation).hasSize(3);

      try (HttpLoad load = HttpLoad.start(port, "/", 4)) {
        load.awaitMore(200, WAIT);
        master.kill();
        JsonNode after =
            awaitInstance(
                "web",
                1,
                i ->
                    running(i)
                        && i.path("pid").asLong() != master.pid()
                        && i.path("restarts").asInt() >= 1);
        assertThat(after.path("restarts").asInt()).isEqualTo(1);
        // Load goes on after the comeback, and reaches the new incarnation too.
        load.awaitMore(200, WAIT);
        Await.until(
            "web.1 serves again", WAIT, () -> get("/").body().contains("\"instance\":\"1\""));
        load.awaitMore(100, WAIT);
        load.close();
        assertThat(load.failed()).as("failed requests: %s", load.failures()).isZero();
      }
      Await.until(
          "the killed incarnation's workers are gone: " + incarnation,
          WAIT,
          () -> incarnation.stream().noneMatch(Proc::running));
      assertThat(instance("web", 2).path("restarts").asInt()).isZero();
      assertThat(berth.output()).contains("web.1: exited unexpectedly with code");
    }
  }

  // --- 2. crash loop
  // ------------------------------------------------------------------------------

  @Test
  void crashLoopEndsFatalAfterMaxRestartsAndStartTriesAgain() throws Exception {
    String crash =
        """

        [apps.crash]
        user = "root"
        dir = "%s"
        command = "/usr/bin/python3 -c 'import sys; print(\\"boom\\"); sys.exit(3)'"
        max_restarts = 2
        restart_window = "60s"
        stop_timeout = "1s"
        """
            .formatted(BerthProcess.testApp());
    try (BerthProcess berth = up(web(1, "wsgi:app", "") + crash)) {
      // Instance.failedOnce: FATAL once more than max_restarts failures fall within the window. The
      // first start fails (1), restart 1 fails (2), restart 2 fails (3 > 2): three attempts, two
      // restarts.
      JsonNode fatal = awaitInstance("crash", 1, i -> i.path("state").asText().equals("FATAL"));
      assertThat(fatal.path("restarts").asInt()).isEqualTo(2);
      assertThat(fatal.path("pid").asLong()).isZero();
      assertThat(fatal.path("last_problem").asText())
          .contains("exited with code 3")
          .contains("boom");
      Await.until(
          "3 attempts in the log",
          WAIT,
          () -> logText("crash").lines().filter(l -> l.endsWith(" | boom")).count() >= 3);
      assertThat(logText("crash").lines().filter(l -> l.endsWith(" | boom"))).hasSize(3);
      assertThat(get("/").statusCode()).isEqualTo(200);

      Cli status = cli("status");
      assertThat(status.exit()).as(status.err()).isZero();
      assertThat(status.out()).containsPattern("(?m)^crash\\.1\\s+FATAL\\s+-\\s+for \\S+\\s+2\\s");
      assertThat(status.out()).containsPattern("(?m)^web\\.1\\s+RUNNING\\s+\\d+");
      assertThat(status.out())
          .containsPattern("(?m)^crash\\.1: exited with code 3")
          .doesNotContain("crash.1: crash.1:");
      assertThat(status.out()).contains("boom");

      // A FATAL app is tried again on demand; this attempt fails too, and says why.
      Cli start = cli("start", "crash");
      assertThat(start.exit()).as(start.out()).isEqualTo(1);
      assertThat(start.err())
          .startsWith("berth: crash.1: exited with code 3 before it was ready")
          .contains("boom");
      // Its failures were cleared: it gets max_restarts restarts again, then FATAL again.
      JsonNode again =
          awaitInstance(
              "crash",
              1,
              i -> i.path("state").asText().equals("FATAL") && i.path("restarts").asInt() > 2);
      assertThat(again.path("restarts").asInt()).isEqualTo(5);
      assertThat(get("/").statusCode()).isEqualTo(200);
      assertThat(berth.output()).contains("crash.1: FATAL");
    }
  }

  // --- 3. berth SIGKILLed
  // -------------------------------------------------------------------------

  @Test
  void nextBerthEndsTheAppsOfAKilledOne() throws Exception {
    List<Proc> apps = new ArrayList<>();
    try (BerthProcess berth = up(web(2, "wsgi:app", ""))) {
      awaitInstance("web", 1, i -> running(i) && workers(i) == 2);
      awaitInstance("web", 2, i -> running(i) && workers(i) == 2);
      for (JsonNode i : status().path("instances")) {
        Proc master = Proc.of(i.path("pid").asLong()).orElseThrow();
        apps.add(master);
        apps.addAll(master.children());
      }
      assertThat(apps).hasSize(6);
      Proc.of(berth.pid()).orElseThrow().kill();
      assertThat(berth.waitFor(WAIT)).isEqualTo(137);
    }
    try {
      // In their own sessions, the apps outlive berth.
      assertThat(apps).allMatch(Proc::running);
      try (BerthProcess next = BerthProcess.up(config)) {
        assertThat(next.output())
            .contains(
                "berth: ended processes left running by a previous berth that did not stop cleanly:")
            .containsPattern("berth:   web\\.1 \\(pid \\d+\\): 3 process\\(es\\)")
            .containsPattern("berth:   web\\.2 \\(pid \\d+\\): 3 process\\(es\\)");
        Await.until(
            "the old apps are gone: " + apps, WAIT, () -> apps.stream().noneMatch(Proc::running));
        assertThat(get("/").statusCode()).isEqualTo(200);
        JsonNode now = status();
        assertThat(now.path("instances")).hasSize(2).allMatch(SupervisorEndToEndTest::running);
        assertThat(next.terminate(WAIT)).isZero();
      }
    } finally {
      apps.forEach(Proc::kill);
    }
  }

  // --- 4. rolling restart
  // -------------------------------------------------------------------------

  @Test
  void rollingRestartUnderLoadFailsNoRequestAndAFailingSuccessorKeepsTheOldOnes() throws Exception {
    Path flag = tmp.resolve("broken");
    try (BerthProcess berth =
        up(web(2, "flagged:app", "env = { BROKEN_FLAG = \"" + flag + "\" }"))) {
      awaitInstance("web", 1, i -> running(i) && workers(i) == 2);
      awaitInstance("web", 2, i -> running(i) && workers(i) == 2);
      Set<Long> before = pids();

      try (HttpLoad load = HttpLoad.start(port, "/", 4)) {
        load.awaitMore(100, WAIT);
        Cli restart = cli("restart", "web");
        assertThat(restart.exit()).as(restart.err()).isZero();
        assertThat(restart.out().lines())
            .containsSubsequence(
                "web.1: starting its successor",
                "web.2: starting its successor",
                "berth: restarted web (release 1)")
            .anyMatch(l -> l.matches("web\\.1: replaced in \\d+ ms"))
            .anyMatch(l -> l.matches("web\\.2: replaced in \\d+ ms"));
        load.awaitMore(100, WAIT);
        load.close();
        assertThat(load.failed()).as("failed requests: %s", load.failures()).isZero();
      }
      Set<Long> restarted = pids();
      assertThat(restarted).hasSize(2).doesNotContainAnyElementsOf(before);
      assertThat(status().path("instances"))
          .allMatch(i -> running(i) && i.path("restarts").asInt() == 1);

      // A bad deploy: the successor cannot load the app.
      Files.writeString(flag, "");
      try (HttpLoad load = HttpLoad.start(port, "/", 4)) {
        load.awaitMore(100, WAIT);
        Cli restart = cli("restart", "web");
        assertThat(restart.exit()).as(restart.out()).isEqualTo(1);
        assertThat(restart.out()).contains("web.1: starting its successor").doesNotContain("web.2");
        // The reason comes with the last lines of output; which lines are last depends on whether
        // gunicorn's master or its worker wrote last, so the import error is checked in the log.
        assertThat(restart.err())
            .startsWith("berth: web.1: ")
            .contains("before it was ready; last output:")
            .contains("(the running instance keeps serving)");
        assertThat(cli("logs", "web", "-n", "200").out()).contains("broken deploy");
        load.awaitMore(100, WAIT);
        load.close();
        assertThat(load.failed()).as("failed requests: %s", load.failures()).isZero();
      }
      assertThat(pids()).isEqualTo(restarted);
      assertThat(status().path("instances")).allMatch(SupervisorEndToEndTest::running);
      assertThat(berth.terminate(WAIT)).isZero();
    }
  }

  // --- 5. stop and start
  // --------------------------------------------------------------------------

  @Test
  void stoppedAppAnswers502UntilStarted() throws Exception {
    try (BerthProcess berth = up(web(2, "wsgi:app", ""))) {
      assertThat(get("/").statusCode()).isEqualTo(200);
      List<Proc> processes = new ArrayList<>();
      for (JsonNode i : status().path("instances")) {
        processes.add(Proc.of(i.path("pid").asLong()).orElseThrow());
      }

      Cli stop = cli("stop", "web");
      assertThat(stop.exit()).as(stop.err()).isZero();
      // A line per instance, and one for each gunicorn that took longer than stop_timeout (a
      // loaded machine).
      assertThat(stop.out().lines())
          .endsWith("berth: stopped web")
          .contains("web.1: stopped", "web.2: stopped")
          .allMatch(
              l ->
                  l.matches("web\\.[12]: stopped|berth: stopped web")
                      || l.matches(
                          "web\\.[12]: (\\d processes )?still running 2s after SIGTERM; killed"
                              + " \\(SIGKILL\\) at .* UTC"));
      assertThat(get("/").statusCode()).isEqualTo(502);
      assertThat(status().path("instances"))
          .hasSize(2)
          .allMatch(i -> i.path("state").asText().equals("STOPPED") && i.path("pid").asLong() == 0);
      assertThat(processes).noneMatch(Proc::running);
      assertThat(cli("status").out()).containsPattern("(?m)^web\\.1\\s+STOPPED\\s+-\\s+for ");

      Cli start = cli("start", "web");
      assertThat(start.exit()).as(start.err()).isZero();
      assertThat(start.out().lines())
          .containsExactly("web.1: started", "web.2: started", "berth: started web");
      assertThat(get("/").statusCode()).isEqualTo(200);
      assertThat(status().path("instances")).allMatch(SupervisorEndToEndTest::running);
    }
  }

  // --- 6. logs
  // ------------------------------------------------------------------------------------

  @Test
  void logsShowsTheLastLinesAndFollowsNewOnes() throws Exception {
    try (BerthProcess berth = up(web(2, "wsgi:app", ""))) {
      awaitInstance("web", 1, i -> running(i) && workers(i) == 2);
      awaitInstance("web", 2, i -> running(i) && workers(i) == 2);
      assertThat(get("/print?line=before-follow").statusCode()).isEqualTo(200);
      Await.until(
          "the line reached the log",
          WAIT,
          () -> cli("logs", "web", "-n", "1").out().endsWith(" | before-follow"));

      Cli last = cli("logs", "web", "-n", "5");
      assertThat(last.exit()).as(last.err()).isZero();
      assertThat(last.out().lines().toList())
          .hasSize(5)
          .allMatch(
              l -> l.matches("\\d{4}-\\d\\d-\\d\\dT\\S+ web\\.[12] \\| .*"), "time source | text")
          .last()
          .satisfies(l -> assertThat(l).endsWith(" | before-follow"));
      Cli one = cli("logs", "web", "-n", "100", "--instance", "2");
      // berth's own lines about the app (the release it made) are kept with every filter.
      assertThat(one.out().lines())
          .anyMatch(l -> l.contains(" web.2 | "))
          .allMatch(l -> l.contains(" web.2 | ") || l.contains(" berth | "));

      try (BerthProcess follower =
          BerthProcess.start("logs", "web", "-f", "-n", "1", "--config", config.toString())) {
        follower.awaitLine(" | before-follow", WAIT);
        assertThat(get("/print?line=while-following").statusCode()).isEqualTo(200);
        assertThat(follower.awaitLine(" | while-following", WAIT))
            .matches("\\S+ web\\.[12] \\| while-following");
        // Ctrl-C, as a user ends it.
        ProcessHandle.of(follower.pid()).orElseThrow().destroy();
        assertThat(follower.waitFor(WAIT)).isEqualTo(128 + 15);
      }
      // berth is fine: it answers, serves, and still logs.
      assertThat(cli("ping").exit()).isZero();
      assertThat(get("/print?line=after-follow").statusCode()).isEqualTo(200);
      Await.until(
          "the log file has the line", WAIT, () -> logText("web").contains(" | after-follow"));
      assertThat(tmp.resolve("state/log/web.log")).isRegularFile();
      assertThat(cli("logs", "web", "-n", "1").out().strip()).endsWith(" | after-follow");
      assertThat(berth.terminate(WAIT)).isZero();
    }
  }

  // --- 7. no daemon
  // -------------------------------------------------------------------------------

  @Test
  void statusWithoutADaemonSaysSoAndExits3() throws Exception {
    port = BerthProcess.freePort();
    config = writeConfig(web(1, "wsgi:app", ""));
    Cli status = cli("status");
    assertThat(status.exit()).isEqualTo(3);
    assertThat(status.out()).isEmpty();
    assertThat(status.err().lines().toList())
        .singleElement()
        .asString()
        .contains("no daemon running");
  }

  // --- helpers
  // ------------------------------------------------------------------------------------

  /** An app "web" running the test app under gunicorn (2 workers), with short timeouts. */
  private static String web(int instances, String module, String extra) {
    return """

        [apps.web]
        user = "root"
        dir = "%s"
        command = "%s %s"
        instances = %d
        start_timeout = "20s"
        stop_timeout = "2s"
        drain_timeout = "5s"
        %s
        """
        .formatted(BerthProcess.testApp(), GUNICORN, module, instances, extra);
  }

  private Path writeConfig(String apps) throws Exception {
    return BerthProcess.write(
        tmp.resolve("berth.toml"),
        """
        state_dir = "%s/state"
        shutdown_timeout = "5s"

        [[listeners]]
        address = "127.0.0.1:%d"
        %s
        [[routes]]
        app = "web"
        """
            .formatted(tmp, port, apps));
  }

  /** `berth up` on a free port; another port if that one was taken meanwhile. */
  private BerthProcess up(String apps) throws Exception {
    BerthProcess berth =
        BerthProcess.upOnFreePort(
            free -> {
              port = free;
              return config = writeConfig(apps);
            });
    try {
      // Every first start must have worked (a crash loop is the one app meant to fail): a race
      // between two instances creating the app's socket directory once failed one of them.
      for (JsonNode i : status().path("instances")) {
        if (!i.path("app").asText().equals("crash")) {
          assertThat(i.path("state").asText())
              .as("%s\noutput:\n%s", i, berth.output())
              .isEqualTo("RUNNING");
        }
      }
    } catch (AssertionError e) {
      berth.close();
      throw e;
    }
    return berth;
  }

  /** The berth CLI, in this JVM, on this test's config. */
  private Cli cli(String... args) {
    return Cli.run(config, args);
  }

  private JsonNode status() throws Exception {
    return Cli.status(config);
  }

  private JsonNode instance(String app, int number) throws Exception {
    return Cli.instance(config, app, number);
  }

  /** Polls `berth status` until the instance passes the check, and returns its status. */
  private JsonNode awaitInstance(String app, int number, Predicate<JsonNode> check) {
    return Await.value(
        app + "." + number + " in the awaited state", WAIT, () -> instance(app, number), check);
  }

  private static boolean running(JsonNode instance) {
    return instance.path("state").asText().equals("RUNNING") && instance.path("pid").asLong() > 0;
  }

  /** How many workers the instance's gunicorn master has now. */
  private static int workers(JsonNode instance) {
    return Proc.of(instance.path("pid").asLong()).map(p -> p.children().size()).orElse(0);
  }

  private Set<Long> pids() throws Exception {
    Set<Long> pids = new HashSet<>();
    status().path("instances").forEach(i -> pids.add(i.path("pid").asLong()));
    return pids;
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(WAIT).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private String logText(String app) throws Exception {
    Path log = tmp.resolve("state/log/" + app + ".log");
    return Files.exists(log) ? Files.readString(log) : "";
  }
}
