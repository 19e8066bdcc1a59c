package dev.berth.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Process types end to end: a real `berth up` in a child JVM running an app from its Procfile
 * (gunicorn web, a python worker that prints $GREETING every 200 ms) with its .env, and the CLI
 * asking it to `scale` and to `env set/unset`, under load and across a restart of berth, and to
 * restart, stop and start one process type.
 */
class ProcessTypesEndToEndTest {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String APP = "shop";

  /** What the app's directory gets from the test resources. */
  private static final List<String> APP_FILES =
      List.of("Procfile", "testapp.py", "wsgi.py", "worker.py");

  /**
   * A line of the app's own processes: berth's lines about the app (the release it made) and its
   * release phase's are kept by every filter of berth logs.
   */
  private static final java.util.function.Predicate<String> OWN =
      l -> !l.contains(" berth | ") && !l.contains(" release | ");

  /** berth's line for a process that outlived its stop_timeout and got SIGKILL. */
  private static final java.util.function.Predicate<String> KILLED =
      l -> l.matches("\\S+: (\\d+ processes )?still running \\S+ after SIGTERM; killed .* UTC");

  @TempDir Path tmp;
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10))
          .build();
  private Path appDir;
  private int port;
  private Path config;

  @AfterEach
  void closeClient() {
    http.close();
  }

  // --- 1. Procfile and .env
  // -----------------------------------------------------------------------

  @Test
  void procfileAppRunsWebAndWorkersWithTheDotEnv() throws Exception {
    writeApp("# the app's .env\nGREETING=from-dotenv\nSHADOWED=from-dotenv\n");
    String extra =
        """
        instances = 2
        processes = { worker = { instances = 2 } }
        env = { SHADOWED = "from-config" }
        """;
    try (BerthProcess berth = up(extra)) {
      assertThat(berth.output())
          .contains(
              "berth: app shop: ready, 4/4 instance(s) (web: /usr/bin/gunicorn --workers 1 wsgi:app;"
                  + " worker: /usr/bin/python3 worker.py), release 1")
          .contains(
              "berth: app shop: release 1 copied from " + appDir.toRealPath() + " (first start)")
          // The Procfile's release: line is the release phase, run once before the instances.
          .contains("| release phase ran");
      JsonNode instances = status().path("instances");
      assertThat(tags(instances))
          .containsExactly("shop.1", "shop.2", "shop.worker.1", "shop.worker.2");
      assertThat(instances).allMatch(ProcessTypesEndToEndTest::running);
      Cli status = cli("status");
      assertThat(status.exit()).as(status.err()).isZero();
      assertThat(status.out())
          .containsPattern("(?m)^shop\\.1\\s+RUNNING\\s+\\d+.*unix:.*$")
          .containsPattern("(?m)^shop\\.worker\\.1\\s+RUNNING\\s+\\d+.*\\s-$")
          .containsPattern("(?m)^shop\\.worker\\.2\\s+RUNNING\\s+\\d+.*\\s-$");

      // web, through the route: the .env, under the config's env.
      assertThat(body("/env/GREETING")).isEqualTo("from-dotenv");
      assertThat(body("/env/SHADOWED")).isEqualTo("from-config");
      assertThat(body("/env/BERTH_PROCESS_TYPE")).isEqualTo("web");

      // The workers: their lines, with the .env's value, in their own log sources.
      Await.until(
          "both workers logged",
          WAIT,
          () -> {
            String out = cli("logs", APP, "--type", "worker", "-n", "50").out();
            return out.contains(" shop.worker.1 | ") && out.contains(" shop.worker.2 | ");
          });
      Cli workers = cli("logs", APP, "--type", "worker", "-n", "50");
      assertThat(workers.exit()).as(workers.err()).isZero();
      assertThat(workers.out().lines().filter(OWN))
          .hasSizeGreaterThan(2)
          .allMatch(
              l ->
                  l.matches(
                      "\\S+ shop\\.worker\\.([12]) \\| worker\\.\\1 greeting=from-dotenv tick=\\d+"),
              "worker lines with the .env's GREETING");
      assertThat(cli("logs", APP, "--instance", "worker.2", "-n", "20").out().lines().filter(OWN))
          .isNotEmpty()
          .allMatch(l -> l.contains(" shop.worker.2 | worker.2 greeting=from-dotenv"));
      Cli web = cli("logs", APP, "--type", "web", "-n", "100");
      assertThat(web.out().lines().filter(OWN))
          .isNotEmpty()
          .allMatch(l -> l.matches("\\S+ shop\\.[12] \\| .*"));
      // A bare number is a web instance ("2 (web.2)"), not every type's second one.
      Cli second = cli("logs", APP, "--instance", "2", "-n", "100");
      assertThat(second.out().lines().filter(OWN))
          .isNotEmpty()
          .allMatch(l -> l.contains(" shop.2 | "));

      perTypeControlLeavesTheOtherTypesAlone();

      List<Proc> processes = processes(status().path("instances"));
      assertThat(berth.terminate(WAIT)).isZero();
      assertThat(processes).noneMatch(Proc::running);
    }
  }

  /**
   * As Heroku's ps:restart worker and ps:stop worker: restart, stop and start --type act on that
   * type's instances only, each reported; every instance shows the release it runs.
   */
  private void perTypeControlLeavesTheOtherTypesAlone() throws Exception {
    assertThat(status().path("instances")).allMatch(i -> i.path("release").asInt() == 1);
    Map<String, Long> before = pidsByTag();

    Cli restart = cli("restart", APP, "--type", "worker");
    assertThat(restart.exit()).as(restart.err()).isZero();
    assertThat(restart.out().lines())
        .containsSubsequence(
            "shop.worker.1: starting its successor",
            "shop.worker.2: starting its successor",
            "berth: restarted shop's worker instances (release 1)")
        .noneMatch(l -> l.startsWith("shop.1") || l.startsWith("shop.2"));
    Map<String, Long> restarted = pidsByTag();
    assertThat(restarted.get("shop.1")).isEqualTo(before.get("shop.1"));
    assertThat(restarted.get("shop.2")).isEqualTo(before.get("shop.2"));
    assertThat(restarted.get("shop.worker.1")).isNotEqualTo(before.get("shop.worker.1"));
    assertThat(restarted.get("shop.worker.2")).isNotEqualTo(before.get("shop.worker.2"));

    List<Proc> workers = new ArrayList<>();
    for (String tag : List.of("shop.worker.1", "shop.worker.2")) {
      workers.add(Proc.of(restarted.get(tag)).orElseThrow());
    }
    Cli stop = cli("stop", APP, "--type", "worker");
    assertThat(stop.exit()).as(stop.err()).isZero();
    assertThat(stop.out().lines())
        .containsExactly(
            "shop.worker.1: stopped",
            "shop.worker.2: stopped",
            "berth: stopped shop's worker instances");
    assertThat(workers).noneMatch(Proc::running);
    assertThat(instance("shop.worker.1").path("state").asText()).isEqualTo("STOPPED");
    assertThat(instance("shop.1").path("pid").asLong()).isEqualTo(before.get("shop.1"));
    assertThat(body("/env/BERTH_PROCESS_TYPE")).isEqualTo("web");
    // Its row: stopped, restarted once, release 1, no endpoint.
    assertThat(cli("status").out())
        .containsPattern("(?m)^shop\\.worker\\.2\\s+STOPPED\\s+-\\s+for .*\\s1\\s+-$");

    Cli start = cli("start", APP, "--type", "worker");
    assertThat(start.exit()).as(start.err()).isZero();
    assertThat(start.out().lines())
        .containsExactly(
            "shop.worker.1: started",
            "shop.worker.2: started",
            "berth: started shop's worker instances");
    assertThat(status().path("instances")).allMatch(ProcessTypesEndToEndTest::running);
    assertThat(pidsByTag().get("shop.2")).isEqualTo(before.get("shop.2"));
  }

  // --- 2. scale
  // -----------------------------------------------------------------------------------

  @Test
  void scaleUpAndDownUnderLoadFailsNoRequestAndIsKeptAcrossRestarts() throws Exception {
    writeApp("");
    try (BerthProcess berth = up("instances = 2\n")) {
      assertThat(tags(status().path("instances")))
          .containsExactly("shop.1", "shop.2", "shop.worker.1");
      long first = instance("shop.1").path("pid").asLong();

      try (HttpLoad load = HttpLoad.start(port, "/", 3)) {
        load.awaitMore(50, WAIT);
        Cli up = cli("scale", APP, "web=3");
        assertThat(up.exit()).as(up.err()).isZero();
        assertThat(up.out().lines()).containsExactly("shop: web=3", "berth: scaled shop");
        JsonNode three = status().path("instances");
        assertThat(tags(three)).containsExactly("shop.1", "shop.2", "shop.3", "shop.worker.1");
        assertThat(three).allMatch(ProcessTypesEndToEndTest::running);
        load.awaitMore(50, WAIT);

        // Requests reach all three: /pid names the worker's parent, the instance's gunicorn master.
        Set<Long> masters = new HashSet<>();
        for (JsonNode i : three) {
          if (i.path("type").asText().equals("web")) {
            masters.add(i.path("pid").asLong());
          }
        }
        Set<Long> seen = new HashSet<>();
        Await.until(
            "requests reach every web instance " + masters,
            WAIT,
            () -> {
              seen.add(JSON.readTree(body("/pid")).path("ppid").asLong());
              return seen.containsAll(masters);
            });
        assertThat(seen).isEqualTo(masters);

        List<Proc> removed = new ArrayList<>();
        for (String tag : List.of("shop.2", "shop.3")) {
          removed.addAll(processes(List.of(instance(tag))));
        }
        assertThat(removed).hasSize(4).allMatch(Proc::running);
        Cli down = cli("scale", APP, "web=1");
        assertThat(down.exit()).as(down.err()).isZero();
        // Besides a line for each gunicorn slower than stop_timeout (a loaded machine).
        assertThat(down.out().lines().filter(KILLED.negate()))
            .containsExactly("shop: web=1", "berth: scaled shop");
        assertThat(tags(status().path("instances"))).containsExactly("shop.1", "shop.worker.1");
        assertThat(instance("shop.1").path("pid").asLong()).isEqualTo(first);
        Await.until(
            "the removed instances' processes are gone: " + removed,
            WAIT,
            () -> removed.stream().noneMatch(Proc::running));
        load.awaitMore(50, WAIT);

        Proc worker = Proc.of(instance("shop.worker.1").path("pid").asLong()).orElseThrow();
        Cli noWorker = cli("scale", APP, "worker=0");
        assertThat(noWorker.exit()).as(noWorker.err()).isZero();
        assertThat(tags(status().path("instances"))).containsExactly("shop.1");
        Await.until("the worker is gone", WAIT, () -> !worker.running());
        load.awaitMore(50, WAIT);
        load.close();
        assertThat(load.failed()).as("failed requests: %s", load.failures()).isZero();
      }
      assertOverridesFile(
          overrides ->
              assertThat(overrides.path("scale"))
                  .isEqualTo(JSON.readTree("{\"web\":1,\"worker\":0}")));
      assertThat(berth.terminate(WAIT)).isZero();
    }

    // The config says instances = 2 and the Procfile a worker: what was scaled wins.
    try (BerthProcess again = BerthProcess.up(config)) {
      assertThat(again.output()).contains("berth: app shop: ready, 1/1 instance(s)");
      JsonNode instances = status().path("instances");
      assertThat(tags(instances)).containsExactly("shop.1");
      assertThat(instances).allMatch(ProcessTypesEndToEndTest::running);
      assertThat(get("/").statusCode()).isEqualTo(200);
      assertThat(again.terminate(WAIT)).isZero();
    }
  }

  // --- 3. env set / unset
  // -------------------------------------------------------------------------

  @Test
  void envSetAndUnsetUnderLoadFailNoRequestAndAreKeptAcrossRestarts() throws Exception {
    writeApp("GREETING=from-dotenv\n");
    try (BerthProcess berth = up("instances = 2\nenv = { FROM_CONFIG = \"yes\" }\n")) {
      assertThat(body("/env/GREETING")).isEqualTo("from-dotenv");
      Set<Long> before = pids();

      try (HttpLoad load = HttpLoad.start(port, "/", 3)) {
        load.awaitMore(50, WAIT);
        Cli set = cli("env", APP, "set", "GREETING=hi", "SECRET=s3=cr3t");
        assertThat(set.exit()).as(set.err()).isZero();
        assertThat(set.out().lines())
            .containsSubsequence(
                "shop: environment stored; rolling restart to apply it",
                "shop.1: starting its successor",
                "shop.2: starting its successor",
                "shop.worker.1: starting its successor",
                "berth: environment of shop changed (release 2)");
        load.awaitMore(50, WAIT);
        // Every instance was replaced, so every one has it.
        Set<Long> after = pids();
        assertThat(after).hasSize(3).doesNotContainAnyElementsOf(before);
        for (int i = 0; i < 4; i++) {
          assertThat(body("/env/GREETING")).isEqualTo("hi");
        }
        assertThat(body("/env/SECRET")).isEqualTo("s3=cr3t");
        Await.until(
            "the worker prints the new value",
            WAIT,
            () ->
                cli("logs", APP, "--instance", "worker.1", "-n", "1")
                    .out()
                    .contains(" shop.worker.1 | worker.1 greeting=hi tick="));
        Cli env = cli("env", APP);
        assertThat(env.exit()).as(env.err()).isZero();
        assertThat(env.out().lines())
            .containsExactly("FROM_CONFIG=yes", "GREETING=hi", "SECRET=s3=cr3t");
        assertOverridesFile(
            overrides ->
                assertThat(overrides.path("env"))
                    .isEqualTo(JSON.readTree("{\"GREETING\":\"hi\",\"SECRET\":\"s3=cr3t\"}")));

        Cli unset = cli("env", APP, "unset", "GREETING");
        assertThat(unset.exit()).as(unset.err()).isZero();
        assertThat(unset.out().lines())
            .last()
            .isEqualTo("berth: environment of shop changed (release 3)");
        load.awaitMore(50, WAIT);
        load.close();
        assertThat(load.failed()).as("failed requests: %s", load.failures()).isZero();
      }
      // Back to the .env's value.
      for (int i = 0; i < 4; i++) {
        assertThat(body("/env/GREETING")).isEqualTo("from-dotenv");
      }
      assertThat(cli("env", APP).out().lines())
          .containsExactly("FROM_CONFIG=yes", "GREETING=from-dotenv", "SECRET=s3=cr3t");
      assertOverridesFile(
          overrides ->
              assertThat(overrides.path("env"))
                  .isEqualTo(JSON.readTree("{\"SECRET\":\"s3=cr3t\"}")));
      assertThat(berth.terminate(WAIT)).isZero();
    }

    try (BerthProcess again = BerthProcess.up(config)) {
      // berth up names what env set stored, never its value.
      assertThat(again.output().lines())
          .contains(
              "berth: app shop: berth env values in effect: SECRET (they win over the config;"
                  + " berth env shop unset NAME)")
          .noneMatch(l -> l.contains("s3=cr3t"));
      for (int i = 0; i < 4; i++) {
        assertThat(body("/env/SECRET")).isEqualTo("s3=cr3t");
        assertThat(body("/env/GREETING")).isEqualTo("from-dotenv");
      }
      assertThat(cli("env", APP).out().lines())
          .containsExactly("FROM_CONFIG=yes", "GREETING=from-dotenv", "SECRET=s3=cr3t");
      assertThat(again.terminate(WAIT)).isZero();
    }
  }

  // --- 4. bad commands
  // ----------------------------------------------------------------------------

  @Test
  void badScaleAndEnvCommandsAreRefusedAndChangeNothing() throws Exception {
    writeApp("");
    try (BerthProcess berth = up("")) {
      JsonNode instances = status().path("instances");
      Set<Long> pids = pids();
      assertThat(tags(instances)).containsExactly("shop.1", "shop.worker.1");

      assertThat(usageError(cli("scale", APP, "nope=1")))
          .contains("\"nope\"")
          .contains("(it has: web, worker)");
      assertThat(usageError(cli("scale", APP, "web=x"))).contains("web=x");
      assertThat(usageError(cli("scale", APP, "web"))).contains("web");
      assertThat(usageError(cli("scale", APP, "web=-1"))).contains("web=-1");
      assertThat(usageError(cli("scale", APP, "web=65"))).contains("web=65");
      // One bad count: none is applied, not even those before it.
      assertThat(usageError(cli("scale", APP, "web=2", "nope=1"))).contains("\"nope\"");
      assertThat(usageError(cli("scale", APP, "web=2", "worker=x"))).contains("worker=x");
      assertThat(usageError(cli("env", APP, "set", "NOEQUALS"))).contains("NOEQUALS");
      assertThat(usageError(cli("env", APP, "set", "GOOD=1", "1BAD=x"))).contains("1BAD");
      assertThat(usageError(cli("env", APP, "frob", "A=b"))).isNotEmpty();
      for (String command : List.of("restart", "stop", "start")) {
        assertThat(usageError(cli(command, APP, "--type", "clock")))
            .isEqualTo("berth: shop has no process type \"clock\" (it has: web, worker)");
      }

      for (Cli unknown :
          List.of(
              cli("scale", "nosuch", "web=1"),
              cli("env", "nosuch"),
              cli("env", "nosuch", "set", "A=b"),
              cli("stop", "nosuch", "--type", "web"))) {
        assertThat(unknown.exit()).as(unknown.err()).isEqualTo(1);
        assertThat(unknown.out()).isEmpty();
        assertThat(unknown.err().lines().toList())
            .singleElement()
            .asString()
            .startsWith("berth: ")
            .contains("\"nosuch\"");
      }
      assertThat(
              JSON.readTree(cli("scale", "nosuch", "web=1", "--json").out()).path("code").asText())
          .isEqualTo("not_found");

      // Nothing changed: the same processes, nothing stored.
      JsonNode now = status().path("instances");
      assertThat(tags(now)).containsExactly("shop.1", "shop.worker.1");
      assertThat(now).allMatch(ProcessTypesEndToEndTest::running);
      assertThat(pids()).isEqualTo(pids);
      assertThat(tmp.resolve("state/overrides/shop.json")).doesNotExist();
      assertThat(cli("env", APP).out()).isEmpty();
      assertThat(berth.terminate(WAIT)).isZero();
    }
  }

  // --- 5. a worker past its stop_timeout
  // ---------------------------------------------------------------

  @Test
  void aWorkerStillRunningAfterItsStopTimeoutIsKilledAndRestartLogsAndStatusSaySo()
      throws Exception {
    writeApp("");
    // A job that ignores SIGTERM: only SIGKILL ends it.
    Files.writeString(
        appDir.resolve("Procfile"),
        "web: /usr/bin/gunicorn --workers 1 wsgi:app\nworker: sh stubborn.sh\n");
    Files.writeString(
        appDir.resolve("stubborn.sh"), "trap '' TERM\necho 'job started'\nexec sleep 600\n");
    try (BerthProcess berth = up("processes = { worker = { stop_timeout = \"1s\" } }\n")) {
      String killed = "shop.worker.1: still running 1s after SIGTERM; killed (SIGKILL) at ";
      java.util.function.Predicate<String> killLine =
          l -> l.startsWith(killed) && l.matches(".* \\d\\d:\\d\\d:\\d\\d UTC");

      Cli restart = cli("restart", APP);

      assertThat(restart.exit()).as(restart.err()).isZero();
      List<String> lines = restart.out().lines().toList();
      assertThat(lines).filteredOn(killLine).hasSize(1);
      assertThat(lines.indexOf(lines.stream().filter(killLine).findFirst().orElseThrow()))
          .as("the kill is told once the worker is replaced: %s", lines)
          .isGreaterThan(
              lines.indexOf(
                  lines.stream()
                      .filter(l -> l.startsWith("shop.worker.1: replaced in "))
                      .findFirst()
                      .orElseThrow()));

      // A berth line in the app's log, kept by the worker filter too.
      assertThat(cli("logs", APP, "--type", "worker", "-n", "50").out().lines())
          .anyMatch(l -> l.contains(" berth | ") && killLine.test(l.split(" berth \\| ", 2)[1]));
      // The last problem of the worker, which runs again.
      assertThat(instance("shop.worker.1").path("state").asText()).isEqualTo("RUNNING");
      assertThat(instance("shop.worker.1").path("last_problem").asText()).matches(killLine);
      Cli status = cli("status");
      assertThat(status.out().lines()).anyMatch(killLine);
      assertThat(berth.terminate(WAIT)).isZero();
    }
  }

  // --- helpers
  // ------------------------------------------------------------------------------------

  /** The app's directory: the test app, its Procfile and worker, and this .env. */
  private void writeApp(String dotEnv) throws Exception {
    appDir = Files.createDirectories(tmp.resolve("app"));
    for (String file : APP_FILES) {
      Files.copy(BerthProcess.testApp().resolve(file), appDir.resolve(file));
    }
    Files.writeString(appDir.resolve(".env"), dotEnv);
  }

  /**
   * The app table of every config here: the Procfile app with short timeouts, plus {@code extra}.
   */
  private String appTable(String extra) {
    return String.join(
        "\n",
        "[apps." + APP + "]",
        "dir = \"" + appDir + "\"",
        "procfile = \"Procfile\"",
        "user = \"root\"",
        "start_timeout = \"20s\"",
        "stop_timeout = \"2s\"",
        "drain_timeout = \"3s\"",
        extra,
        "");
  }

  private Path writeConfig(String extra) throws Exception {
    return BerthProcess.write(
        tmp.resolve("berth.toml"),
        """
        state_dir = "%s/state"
        shutdown_timeout = "3s"

        [[listeners]]
        address = "127.0.0.1:%d"

        %s
        [[routes]]
        app = "%s"
        """
            .formatted(tmp, port, appTable(extra), APP));
  }

  /** `berth up` on a free port; another port if that one was taken meanwhile. */
  private BerthProcess up(String extra) throws Exception {
    return BerthProcess.upOnFreePort(
        free -> {
          port = free;
          return config = writeConfig(extra);
        });
  }

  /** The berth CLI, in this JVM, on this test's config. */
  private Cli cli(String... args) {
    return Cli.run(config, args);
  }

  /** A refused command: exit 2, nothing on stdout, one line on stderr, which is returned. */
  private static String usageError(Cli cli) {
    assertThat(cli.exit())
        .as("exit of a bad command; stdout: %s; stderr: %s", cli.out(), cli.err())
        .isEqualTo(2);
    assertThat(cli.out()).isEmpty();
    assertThat(cli.err().lines().toList()).singleElement().asString().startsWith("berth: ");
    return cli.err();
  }

  private JsonNode status() throws Exception {
    return Cli.status(config);
  }

  private JsonNode instance(String tag) throws Exception {
    for (JsonNode i : status().path("instances")) {
      if (i.path("tag").asText().equals(tag)) {
        return i;
      }
    }
    throw new AssertionError("no instance " + tag + " in " + status());
  }

  private static List<String> tags(JsonNode instances) {
    List<String> tags = new ArrayList<>();
    instances.forEach(i -> tags.add(i.path("tag").asText()));
    return tags;
  }

  private Map<String, Long> pidsByTag() throws Exception {
    Map<String, Long> pids = new HashMap<>();
    status()
        .path("instances")
        .forEach(i -> pids.put(i.path("tag").asText(), i.path("pid").asLong()));
    return pids;
  }

  private Set<Long> pids() throws Exception {
    Set<Long> pids = new HashSet<>();
    status().path("instances").forEach(i -> pids.add(i.path("pid").asLong()));
    return pids;
  }

  /** Each instance's process and its children (a gunicorn master's workers). */
  private static List<Proc> processes(Iterable<JsonNode> instances) {
    List<Proc> processes = new ArrayList<>();
    for (JsonNode i : instances) {
      Proc leader = Proc.of(i.path("pid").asLong()).orElseThrow();
      processes.add(leader);
      processes.addAll(leader.children());
    }
    return processes;
  }

  private static boolean running(JsonNode instance) {
    return instance.path("state").asText().equals("RUNNING") && instance.path("pid").asLong() > 0;
  }

  private interface JsonCheck {
    void check(JsonNode overrides) throws Exception;
  }

  /** The app's overrides file: mode 0600, and what it holds. */
  private void assertOverridesFile(JsonCheck check) throws Exception {
    Path file = tmp.resolve("state/overrides/" + APP + ".json");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    check.check(JSON.readTree(file.toFile()));
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(WAIT).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The body of a 200 answer. */
  private String body(String path) throws Exception {
    HttpResponse<String> response = get(path);
    assertThat(response.statusCode()).as("GET %s: %s", path, response.body()).isEqualTo(200);
    return response.body();
  }
}
