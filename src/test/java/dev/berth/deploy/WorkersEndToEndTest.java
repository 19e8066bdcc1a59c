package dev.berth.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.testing.Await;
import dev.berth.testing.BerthProcess;
import dev.berth.testing.Cli;
import dev.berth.testing.Curl;
import dev.berth.testing.DocBlocks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 26 as a Heroku user meets it: one berth running a Procfile app (gunicorn web, docs/
 * workers.md's worker.py as two types, its clock.py), then deploys, a per-type restart, an env
 * change and a rollback. A worker's 20-second job finishes across a deploy (the 30s default grace
 * of a worker); a job past its type's 2s grace is killed and reported; the clock's journal shows
 * that no two clocks ever ran at once; the workers restart alone; an env change is a release that a
 * rollback undoes. The page's code blocks are what runs, so the page cannot drift.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WorkersEndToEndTest {

  private static final String PAGE = "docs/workers.md";
  private static final String APP = "shop";
  private static final Duration WAIT = Duration.ofSeconds(60);

  /** The worker's job that must finish across a deploy: within a worker's default 30s grace. */
  private static final int JOB_SECONDS = 20;

  private static final FileAttribute<Set<PosixFilePermission>> PRIVATE =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));

  @TempDir static Path tmp;
  private static BerthProcess berth;
  private static Path config;
  private static int port;

  /** The app's $BERTH_DATA_DIR: the queues and the clock's journal. */
  private static Path data;

  /** How many times the clock was replaced so far (each must start a new clock process). */
  private static int clockSwaps;

  @BeforeAll
  static void up() throws Exception {
    DocBlocks doc = DocBlocks.of(PAGE);
    Path app = Files.createDirectories(tmp.resolve("app"));
    for (String file : List.of("testapp.py", "wsgi.py")) {
      Files.copy(BerthProcess.testApp().resolve(file), app.resolve(file));
    }
    Files.writeString(app.resolve("worker.py"), doc.block("python", "def take():"));
    Files.writeString(app.resolve("clock.py"), doc.block("python", "CLOCK_INTERVAL"));
    // Two types run the page's worker: "reports" has a 2s grace, so its long job is killed.
    Files.writeString(
        app.resolve("Procfile"),
        """
        web: /usr/bin/gunicorn --workers 1 wsgi:app
        worker: /usr/bin/python3 worker.py jobs
        reports: /usr/bin/python3 worker.py reports
        clock: /usr/bin/python3 clock.py
        """);
    Files.writeString(app.resolve(".env"), "GREETING=from-dotenv\nCLOCK_INTERVAL=0.5\n");
    Files.setPosixFilePermissions(
        app.resolve(".env"), PosixFilePermissions.fromString("rw-------"));
    Path state = Files.createDirectory(tmp.resolve("state"), PRIVATE);
    data = Files.createDirectories(state.resolve("data/" + APP));
    // Queued before berth up, so that the 20 seconds begin as soon as the worker starts.
    enqueue("jobs", "a", JOB_SECONDS);
    enqueue("reports", "b", 600);
    berth =
        BerthProcess.upOnFreePort(
            free -> {
              port = free;
              return config =
                  BerthProcess.write(
                      tmp.resolve("berth.toml"),
                      """
                      state_dir = "%s/state"
                      shutdown_timeout = "3s"

                      [[listeners]]
                      address = "127.0.0.1:%d"

                      [apps.shop]
                      dir = "%s"
                      procfile = "Procfile"
                      user = "root"
                      start_timeout = "20s"
                      drain_timeout = "2s"

                      [apps.shop.processes.reports]
                      stop_timeout = "2s"

                      [[routes]]
                      app = "shop"
                      """
                          .formatted(tmp, free, app));
            });
  }

  @AfterAll
  static void down() throws Exception {
    if (berth != null) {
      try {
        assertThat(berth.terminate(WAIT)).isZero();
      } finally {
        berth.close();
      }
    }
  }

  // --- 1. a deploy with jobs in flight -----------------------------------------------------------

  @Test
  @Order(1)
  void aDeployLetsAWorkersJobFinishAndReportsTheJobKilledPastItsGrace() throws Exception {
    // Taken as soon as the workers started (the jobs were queued before berth up).
    String job = "a";
    Logged started = awaitLine("shop.worker.1", "job a started");
    if (Duration.between(started.at(), Instant.now()).toSeconds() > JOB_SECONDS / 2) {
      // A machine so slow that berth's start took half the job: a fresh one, so that one is
      // surely in hand at the deploy (the worker takes it when "a" is done).
      job = "a2";
      enqueue("jobs", job, JOB_SECONDS);
      started = awaitLine("shop.worker.1", "job a2 started");
    }
    long worker = started.pid();
    long reports = awaitLine("shop.reports.1", "job b started").pid();

    Cli deploy = cli("deploy", APP);
    clockSwaps++;
    assertThat(deploy.exit()).as(deploy.out() + deploy.err()).isZero();
    String stop = line(deploy.out(), "-----> stop ");
    assertThat(stop)
        .as(deploy.out())
        .contains("reports.1 killed")
        .doesNotContain("worker.1 killed");

    // The old worker got SIGTERM with its job in hand, finished it, then exited (the deploy
    // waited for that; the log has the process's last lines once berth has read its pipe).
    Await.until(
        "the old worker's last line in the log",
        WAIT,
        () -> ownLines(worker).contains("pid " + worker + " exited"));
    assertThat(ownLines(worker))
        .containsSubsequence(
            "pid " + worker + " job " + job + " started",
            "pid " + worker + " SIGTERM: taking no new job",
            "pid " + worker + " job " + job + " finished",
            "pid " + worker + " exited");
    Await.until(
        "the old reports worker's SIGTERM line in the log",
        WAIT,
        () -> ownLines(reports).contains("pid " + reports + " SIGTERM: taking no new job"));
    assertThat(ownLines(reports))
        .contains("pid " + reports + " SIGTERM: taking no new job")
        .doesNotContain("pid " + reports + " job b finished", "pid " + reports + " exited");
    // The kill, as a berth line, also where only that type's lines are asked for.
    assertThat(cli("logs", APP, "--type", "reports", "-n", "1000").out().lines())
        .anyMatch(l -> l.contains(" berth | ") && l.contains("reports.1") && l.contains("SIGKILL"))
        .noneMatch(l -> l.contains(" berth | ") && l.contains("worker.1") && l.contains("SIGKILL"));
    assertThat(instance("shop.reports.1").path("last_problem").asText()).contains("SIGKILL");
    assertThat(pid("shop.worker.1")).isNotEqualTo(worker);
    assertThat(data.resolve("jobs/" + job + ".job.taken")).doesNotExist();
    // The clock was swapped stop-first, and the output says so.
    assertThat(line(deploy.out(), "-----> swap ")).contains("shop.clock.1").contains("stop-first");
  }

  // --- 2. another deploy: every instance runs the new release ------------------------------------

  @Test
  @Order(2)
  void aSecondDeployLeavesEveryInstanceOnTheNewRelease() throws Exception {
    Cli deploy = cli("deploy", APP);
    clockSwaps++;
    assertThat(deploy.exit()).as(deploy.out() + deploy.err()).isZero();
    int number = releases().path("current").asInt();
    assertThat(Cli.status(config).path("instances"))
        .hasSize(4)
        .allMatch(i -> i.path("release").asInt() == number, "every instance on release " + number);
  }

  // --- 3. restart one type -----------------------------------------------------------------------

  @Test
  @Order(3)
  void restartOfTheWorkersLeavesTheOtherTypesProcessesAlone() throws Exception {
    Map<String, Long> before = pids();
    String webBefore = Curl.get(url("/pid")).body();
    Cli restart = cli("restart", APP, "--type", "worker");
    assertThat(restart.exit()).as(restart.out() + restart.err()).isZero();
    assertThat(restart.out()).contains("shop.worker.1").doesNotContain("shop.1:");
    Map<String, Long> after = pids();
    assertThat(after.get("shop.worker.1")).isNotEqualTo(before.get("shop.worker.1"));
    for (String tag : List.of("shop.1", "shop.reports.1", "shop.clock.1")) {
      assertThat(after.get(tag)).as(tag).isEqualTo(before.get(tag));
    }
    assertThat(Curl.get(url("/pid")).body()).isEqualTo(webBefore);

    Cli unknown = cli("restart", APP, "--type", "nope");
    assertThat(unknown.exit()).isNotZero();
    assertThat(unknown.err()).contains("nope").contains("worker");
  }

  // --- 4. config changes are releases ------------------------------------------------------------

  @Test
  @Order(4)
  void envSetIsAReleaseAndARollbackOverItRestoresThePreviousValue() throws Exception {
    int deployed = releases().path("current").asInt();
    assertThat(body("/env/GREETING")).isEqualTo("from-dotenv");
    Cli set = cli("env", APP, "set", "GREETING=from-env-set");
    clockSwaps++;
    assertThat(set.exit()).as(set.out() + set.err()).isZero();
    assertThat(body("/env/GREETING")).isEqualTo("from-env-set");
    Cli list = cli("releases", APP);
    assertThat(list.exit()).as(list.err()).isZero();
    assertThat(line(list.out(), "current"))
        .startsWith((deployed + 1) + " ")
        .contains("config: set GREETING");
    assertThat(list.out()).doesNotContain("from-env-set");

    // Back over the env change and the deploy before it: the third deploy of the clock, as a
    // rollback to other code is a new generation.
    int back = deployed - 1;
    Cli rollback = cli("rollback", APP, String.valueOf(back));
    clockSwaps++;
    assertThat(rollback.exit()).as(rollback.out() + rollback.err()).isZero();
    assertThat(rollback.out())
        .contains("env      restored to release " + back + "'s (unset GREETING)")
        .doesNotContain("from-env-set");
    assertThat(body("/env/GREETING")).isEqualTo("from-dotenv");
    assertThat(releases().path("current").asInt()).isEqualTo(back);
  }

  // --- 5. the clock never ran twice --------------------------------------------------------------

  @Test
  @Order(5)
  void theClockNeverRanTwiceAtOnce() throws Exception {
    // The journal is appended by each clock with its own writes, so its order is the order of
    // events: a clock's start must come after the exit of the one before it.
    List<String> journal = Files.readAllLines(data.resolve("clock.log"));
    Set<String> live = new HashSet<>();
    Set<String> seen = new HashSet<>();
    Map<String, Integer> ticks = new HashMap<>();
    for (String line : journal) {
      String[] parts = line.split(" ");
      assertThat(parts).as(line).hasSize(4);
      String pid = parts[2];
      switch (parts[3]) {
        case "start" -> {
          assertThat(live).as("clocks running when %s started: %s", pid, journal).isEmpty();
          live.add(pid);
          seen.add(pid);
        }
        case "tick" -> {
          assertThat(live).as("the clock that ticked: %s", line).containsExactly(pid);
          ticks.merge(pid, 1, Integer::sum);
        }
        case "exit" -> assertThat(live.remove(pid)).as(line).isTrue();
        default -> throw new AssertionError("a journal line: " + line);
      }
    }
    // berth up's clock, and one more per replacement.
    assertThat(seen).hasSizeGreaterThanOrEqualTo(1 + clockSwaps);
    assertThat(live).hasSize(1);
    assertThat(ticks).isNotEmpty();
  }

  // --- helpers -----------------------------------------------------------------------------------

  /** A job of {@code seconds} in {@code queue}: written under another name, then renamed. */
  private static void enqueue(String queue, String name, int seconds) throws Exception {
    Path dir = Files.createDirectories(data.resolve(queue));
    Path partial = Files.writeString(dir.resolve(name + ".partial"), seconds + "\n");
    Files.move(partial, dir.resolve(name + ".job"));
  }

  /** A line of the page's worker in the app's log: when berth read it, and the worker's pid. */
  private record Logged(Instant at, long pid) {}

  /** The line of {@code tag} ending with {@code text}, once it is logged. */
  private static Logged awaitLine(String tag, String text) {
    Pattern line =
        Pattern.compile("^(\\S+) " + Pattern.quote(tag) + " \\| pid (\\d+) " + text + "$");
    Matcher found =
        Await.value(
            "a line of " + tag + " saying \"" + text + "\"",
            WAIT,
            () ->
                cli("logs", APP, "-n", "1000")
                    .out()
                    .lines()
                    .map(line::matcher)
                    .filter(Matcher::find)
                    .findFirst()
                    .orElse(null),
            m -> m != null);
    return new Logged(Instant.parse(found.group(1)), Long.parseLong(found.group(2)));
  }

  /** What the process {@code pid} wrote, line by line, as the app's log has it. */
  private static List<String> ownLines(long pid) {
    String own = " | pid " + pid + " ";
    return cli("logs", APP, "-n", "1000")
        .out()
        .lines()
        .filter(l -> l.contains(own))
        .map(l -> l.substring(l.indexOf(own) + 3))
        .toList();
  }

  /** The first line of {@code text} containing {@code marker}. */
  private static String line(String text, String marker) {
    return text.lines()
        .filter(l -> l.contains(marker))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no line with \"" + marker + "\" in:\n" + text));
  }

  private static Cli cli(String... args) {
    return Cli.run(config, args);
  }

  private static JsonNode releases() throws Exception {
    Cli releases = cli("releases", APP, "--json");
    assertThat(releases.exit()).as(releases.err()).isZero();
    return new com.fasterxml.jackson.databind.ObjectMapper().readTree(releases.out());
  }

  private static JsonNode instance(String tag) throws Exception {
    JsonNode status = Cli.status(config);
    for (JsonNode i : status.path("instances")) {
      if (i.path("tag").asText().equals(tag)) {
        return i;
      }
    }
    throw new AssertionError("no instance " + tag + " in " + status);
  }

  private static long pid(String tag) throws Exception {
    return instance(tag).path("pid").asLong();
  }

  /** Each instance's pid, by tag. */
  private static Map<String, Long> pids() throws Exception {
    Map<String, Long> pids = new HashMap<>();
    Cli.status(config)
        .path("instances")
        .forEach(i -> pids.put(i.path("tag").asText(), i.path("pid").asLong()));
    return pids;
  }

  private static String url(String path) {
    return "http://127.0.0.1:" + port + path;
  }

  /** The body of a 200 answer. */
  private static String body(String path) throws Exception {
    Curl.Response response = Curl.get(url(path));
    assertThat(response.status()).as("GET %s: %s", path, response.body()).isEqualTo(200);
    return response.body();
  }
}
