package dev.berth.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.config.UserAccount;
import dev.berth.testing.Await;
import dev.berth.testing.BerthProcess;
import dev.berth.testing.Cli;
import dev.berth.testing.Curl;
import dev.berth.testing.HttpLoad;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deploys end to end: a real `berth up` running real gunicorn Flask apps, real load through the
 * edge, and `berth deploy`, `rollback` and `releases` from the CLI. Each release writes a VERSION
 * file, which the test app's /version shows, so a test can tell which code serves.
 */
class DeployEndToEndTest {

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Threads, so that 2 s requests do not hold up the load beside them; gunicorn's threaded worker
   * keeps upstream connections alive, so berth's pooled connections to an old generation are there
   * at its switch.
   */
  private static final String GUNICORN = "/usr/bin/gunicorn --workers 1 --threads 8 wsgi:app";

  /**
   * For many deploys: sync workers stop at once when idle (the threaded worker takes a second), and
   * the app is imported once per instance, not once per worker.
   */
  private static final String GUNICORN_SYNC = "/usr/bin/gunicorn --workers 2 --preload wsgi:app";

  @TempDir Path tmp;
  private int port;
  private Path config;

  /**
   * Deploys in the back-to-back run: 12 by default, so that the suite stays within its time; the
   * measured claim (0 failed requests across 50) is `-Dberth.deploys=50` (docs/development.md).
   */
  private static final int DEPLOYS = Integer.getInteger("berth.deploys", 12);

  // --- 1. deploys back to back under load --------------------------------------------------------

  @Test
  void deploysBackToBackUnderLoadFailNoRequestAndEverySlowRequestCompletes() throws Exception {
    Path source = source("src", "v0");
    try (BerthProcess berth = up(webApp(source, GUNICORN_SYNC, "keep_releases = 3"))) {
      assertThat(version()).isEqualTo("v0");
      java.util.Map<String, Double> seconds = new java.util.TreeMap<>();
      try (HttpLoad load = HttpLoad.start(port, "/", 2);
          HttpLoad slow = HttpLoad.start(port, "/slow?seconds=2", 2)) {
        load.awaitMore(50, WAIT);
        for (int i = 1; i <= DEPLOYS; i++) {
          Files.writeString(source.resolve("VERSION"), "v" + i + "\n");
          Cli deploy = cli("deploy", "web", source.toString());
          assertThat(deploy.exit()).as("deploy %d: %s\n%s", i, deploy.out(), deploy.err()).isZero();
          // berth up made release 1 from the folder.
          assertThat(deploy.out())
              .contains("-----> done     web release " + (i + 1) + " is current");
          deploy
              .out()
              .lines()
              .map(java.util.regex.Pattern.compile("-----> (\\S+) .*  ([0-9.]+)s$")::matcher)
              .filter(java.util.regex.Matcher::matches)
              .forEach(m -> seconds.merge(m.group(1), Double.parseDouble(m.group(2)), Double::sum));
          if (i % 4 == 0) {
            assertThat(version()).isEqualTo("v" + i);
          }
        }
        load.awaitMore(50, WAIT);
        slow.awaitMore(3, WAIT);
        load.close();
        slow.close();
        assertThat(load.failed()).as("failed requests: %s", load.failures()).isZero();
        assertThat(slow.failed()).as("failed slow requests: %s", slow.failures()).isZero();
        // Slow requests were in flight at the switches: the deploys outlasted many of them.
        assertThat(slow.ok()).isGreaterThan(DEPLOYS);
      }
      assertThat(version()).isEqualTo("v" + DEPLOYS);
      // Where the time went, for whoever wants to make this test faster.
      System.out.println(DEPLOYS + " deploys, seconds per step in all: " + seconds);
      int current = DEPLOYS + 1;
      JsonNode releases = releasesJson();
      assertThat(releases.path("current").asInt()).isEqualTo(current);
      assertThat(releases.path("releases").findValues("number").stream().map(JsonNode::asInt))
          .containsExactly(current - 2, current - 1, current);
      try (Stream<Path> dirs = Files.list(tmp.resolve("state/apps/web/releases"))) {
        List<String> kept = new java.util.ArrayList<>();
        for (int n = current - 2; n <= current; n++) {
          kept.add(String.valueOf(n));
          kept.add(n + ".json");
          kept.add(n + ".files");
        }
        assertThat(dirs.map(p -> p.getFileName().toString()))
            .containsExactlyInAnyOrderElementsOf(kept);
      }
      // One generation runs: the old ones were stopped, with their process trees.
      assertThat(status().path("instances"))
          .hasSize(2)
          .allMatch(i -> i.path("state").asText().equals("RUNNING"));
      assertThat(gunicornMasters(berth)).hasSize(2);
    }
  }

  // --- 2. broken releases -----------------------------------------------------------------------

  @Test
  void aReleaseThatFailsAtImportOrInItsReleasePhaseIsRejectedAndTheOldVersionServes()
      throws Exception {
    Path source = source("src", "v1");
    // A clock bound to a fixed port, stop-first by its name: each deploy stops the old one before
    // the new one binds the port (start-first, the new one would fail: Address already in use).
    int clockPort;
    try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
      clockPort = free.getLocalPort();
    }
    Files.writeString(
        source.resolve("Procfile"),
        """
        web: %s
        worker: /usr/bin/python3 worker.py
        clock: /usr/bin/python3 -c 'import socket, time; s = socket.socket(); s.bind(("127.0.0.1", %d)); s.listen(); time.sleep(3600)'
        release: /usr/bin/python3 -c 'print("migrating to", open("VERSION").read().strip())'
        """
            .formatted(GUNICORN, clockPort));
    // A local database in the folder stays out of every release.
    Files.writeString(source.resolve("dev.db"), "local data\n");
    Files.writeString(source.resolve(".berthignore"), "*.db\n");
    String app =
        """
        [apps.web]
        user = "root"
        dir = "%s"
        procfile = "Procfile"
        instances = 2
        drain_timeout = "1s"
        stop_timeout = "5s"
        """
            .formatted(source);
    try (BerthProcess berth = up(app)) {
      Cli first = cli("deploy", "web");
      assertThat(first.exit()).as(first.err()).isZero();
      assertThat(first.out())
          .contains(" files, 1 left out by .berthignore -> release 2")
          .contains("-----> release  /usr/bin/python3 -c")
          .contains("       migrating to v1")
          .contains(
              "-----> start    2 web, 1 worker (start-first); 1 clock (stop-first) (release 2)")
          .contains("-----> swap     web.clock.1 stopped, then started (stop-first)");
      Set<Long> before = pids();
      assertThat(before).hasSize(4);
      for (String release : List.of("1", "2")) {
        Path dir = tmp.resolve("state/apps/web/releases").resolve(release);
        assertThat(dir.resolve("VERSION")).exists();
        assertThat(dir.resolve("dev.db")).doesNotExist();
      }

      // Its web process cannot import the app: the new generation never becomes ready.
      Path broken = copy(source, "broken", "v2-broken");
      Files.writeString(
          broken.resolve("wsgi.py"), "raise RuntimeError(\"broken release: cannot import\")\n");
      try (HttpLoad load = HttpLoad.start(port, "/", 4)) {
        load.awaitMore(50, WAIT);
        Cli deploy = cli("deploy", "web", broken.toString());
        assertThat(deploy.exit()).as(deploy.out()).isEqualTo(1);
        assertThat(deploy.err())
            .startsWith(
                "berth: deploy of web (release 3) failed, the running version keeps serving: web.")
            .contains("exited with code")
            .contains("RuntimeError: broken release: cannot import");
        assertThat(deploy.out()).doesNotContain("-----> switch");
        load.awaitMore(50, WAIT);
        load.close();
        assertThat(load.failed()).as("failed requests: %s", load.failures()).isZero();
      }
      assertThat(version()).isEqualTo("v1");
      assertThat(pids()).isEqualTo(before);

      // Its migration fails: the deploy stops before anything starts.
      Path failing = copy(source, "failing", "v3-failing");
      Files.writeString(
          failing.resolve("Procfile"),
          """
          web: %s
          worker: /usr/bin/python3 worker.py
          release: /usr/bin/python3 -c 'import sys; print("migration 0042 failed: no such column"); sys.exit(3)'
          """
              .formatted(GUNICORN));
      try (HttpLoad load = HttpLoad.start(port, "/", 4)) {
        load.awaitMore(50, WAIT);
        Cli deploy = cli("deploy", "web", failing.toString());
        assertThat(deploy.exit()).as(deploy.out()).isEqualTo(1);
        assertThat(deploy.err())
            .contains("release phase exited with code 3")
            .contains("migration 0042 failed: no such column");
        assertThat(deploy.out())
            .contains("       migration 0042 failed: no such column")
            .doesNotContain("-----> start");
        load.awaitMore(50, WAIT);
        load.close();
        assertThat(load.failed()).as("failed requests: %s", load.failures()).isZero();
      }
      assertThat(version()).isEqualTo("v1");
      assertThat(pids()).isEqualTo(before);
      JsonNode releases = releasesJson();
      // 1: what berth up copied from the folder; 2: the first deploy.
      assertThat(releases.path("releases")).hasSize(2);
      assertThat(releases.path("current").asInt()).isEqualTo(2);
      assertThat(tmp.resolve("state/apps/web/releases/3")).doesNotExist();
      // Both failures are in the app's log, with the release output.
      String log = Files.readString(tmp.resolve("state/log/web.log"));
      assertThat(log)
          .contains(" release | migration 0042 failed: no such column")
          .contains(" berth | deploy of web (release 3) failed");

      // A good one goes through; the worker is replaced too. A request that runs until its
      // instance is told to stop outlasts the drain, and gunicorn finishes it after the SIGTERM:
      // the deploy says so, as the client got its 200.
      Path good = copy(source, "good", "v4");
      Path started = tmp.resolve("slow-started");
      var slow =
          java.net.http.HttpClient.newHttpClient()
              .sendAsync(
                  java.net.http.HttpRequest.newBuilder(
                          java.net.URI.create(
                              "http://127.0.0.1:%d/slow?seconds=30&until=stop&started=%s"
                                  .formatted(port, started)))
                      .build(),
                  java.net.http.HttpResponse.BodyHandlers.ofString());
      Await.until("the slow request is in the app", WAIT, () -> Files.exists(started));
      Cli deploy = cli("deploy", "web", good.toString());
      assertThat(deploy.exit()).as(deploy.err()).isZero();
      assertThat(deploy.out())
          .contains(
              "-----> start    2 web, 1 worker (start-first); 1 clock (stop-first) (release 3)")
          .contains("-----> swap     web.clock.1 stopped, then started (stop-first)");
      assertThat(slow.get().statusCode()).isEqualTo(200);
      assertThat(deploy.out().lines())
          .anyMatch(
              l ->
                  l.matches(
                      "-----> drain    old generation \\(1 in flight: 1 still running at"
                          + " drain_timeout 1s\\)  [0-9.]+s"))
          .anyMatch(
              l ->
                  l.matches(
                      "-----> drain    web\\.[12] GET /slow: finished 200 after SIGTERM"
                          + " \\([0-9.]+s\\)"));
      assertThat(version()).isEqualTo("v4");
      Set<Long> after = pids();
      assertThat(after).hasSize(4).doesNotContainAnyElementsOf(before);
      assertThat(berth.output()).contains("berth: deploy: web release 3 is current");
    }
  }

  // --- 3. rollback, and berth up from the current release --------------------------------------

  @Test
  void rollbackUnderLoadServesThePreviousCodeAndBerthUpRunsTheCurrentRelease() throws Exception {
    Path configured = source("configured", "configured-dir");
    Path v1 = copy(configured, "v1", "v1");
    Path v2 = copy(configured, "v2", "v2");
    String app = webApp(configured, "");
    try (BerthProcess berth = up(app)) {
      assertThat(version()).isEqualTo("configured-dir");
      assertThat(cli("rollback", "web").err())
          .isEqualTo("berth: rollback of web: no release before release 1 to go back to");
      assertThat(cli("deploy", "web", v1.toString()).exit()).isZero();
      assertThat(cli("deploy", "web", v2.toString()).exit()).isZero();
      assertThat(version()).isEqualTo("v2");

      try (HttpLoad load = HttpLoad.start(port, "/", 4);
          HttpLoad slow = HttpLoad.start(port, "/slow?seconds=2", 2)) {
        load.awaitMore(50, WAIT);
        Cli rollback = cli("rollback", "web");
        assertThat(rollback.exit()).as(rollback.err()).isZero();
        assertThat(rollback.out().lines())
            .containsSubsequence(
                "-----> rollback to release 2 (from release 3)",
                "-----> switch   web.1-2 -> release 2")
            .anyMatch(l -> l.startsWith("-----> done     web release 2 is current"));
        assertThat(version()).isEqualTo("v1");
        load.awaitMore(50, WAIT);
        load.close();
        slow.close();
        assertThat(load.failed()).as("failed requests: %s", load.failures()).isZero();
        assertThat(slow.failed()).as("failed slow requests: %s", slow.failures()).isZero();
      }
      Cli releases = cli("releases", "web");
      assertThat(releases.exit()).isZero();
      assertThat(releases.out().lines())
          .hasSize(4)
          .satisfies(
              lines -> assertThat(lines.get(0)).matches("RELEASE\\s+CREATED\\s+SOURCE\\s+REVISION"))
          .anySatisfy(
              l ->
                  assertThat(l)
                      .matches(
                          "2\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\s+"
                              + v1
                              + "\\s+-\\s+current"))
          .anySatisfy(l -> assertThat(l).matches("3\\s+.*" + v2 + "\\s+-"))
          .anySatisfy(l -> assertThat(l).matches("1\\s+.*" + configured.toRealPath() + "\\s+-"));
      assertThat(cli("rollback", "web", "2").err())
          .isEqualTo("berth: rollback of web: release 2 is current already");
      assertThat(cli("rollback", "web", "7").err())
          .isEqualTo("berth: rollback of web: no release 7 (it has: 1, 2, 3)");
      assertThat(cli("rollback", "web", "3").exit()).isZero();
      assertThat(version()).isEqualTo("v2");
      assertThat(berth.terminate(WAIT)).isZero();
    }
    // The next berth runs the current release: the configured dir did not change since berth
    // copied it (release 1), so no new copy is made.
    try (BerthProcess berth = BerthProcess.up(config)) {
      assertThat(version()).isEqualTo("v2");
      assertThat(berth.output())
          .containsPattern("berth: app web: ready, 2/2 instance\\(s\\) \\(.*\\), release 3")
          .doesNotContain("copied from");
      assertThat(berth.terminate(WAIT)).isZero();
    }
  }

  // --- 4. sources --------------------------------------------------------------------------------

  @Test
  void gitRepositoriesAndTarballsAreDeployedWithTheirRevisionAndOldReleasesArePruned()
      throws Exception {
    Path repo = source("repo", "git-v1");
    git(repo, "init", "--quiet", "--initial-branch=main");
    git(repo, "add", "-A");
    git(repo, "commit", "--quiet", "-m", "v1");
    String first = git(repo, "rev-parse", "HEAD");
    Files.writeString(repo.resolve("VERSION"), "git-v2\n");
    git(repo, "commit", "--quiet", "-am", "v2");
    git(repo, "tag", "v2");
    String second = git(repo, "rev-parse", "HEAD");
    Path bare = tmp.resolve("bare.git");
    git(tmp, "clone", "--quiet", "--bare", repo.toString(), bare.toString());
    Path tarball = tmp.resolve("release.tar.gz");
    // As GitHub makes them: one top-level directory.
    run(List.of("tar", "-czf", tarball.toString(), "-C", tmp.toString(), "--exclude=.git", "repo"));

    try (BerthProcess berth =
        up(webApp(source("configured", "configured-dir"), "keep_releases = 2"))) {
      Cli byRef = cli("deploy", "web", repo.toString(), "--ref", first);
      assertThat(byRef.exit()).as(byRef.err()).isZero();
      assertThat(byRef.out())
          .contains("-----> clone    " + repo + "@" + first + " (" + first.substring(0, 12) + ")");
      assertThat(version()).isEqualTo("git-v1");

      Cli fromBare = cli("deploy", "web", "file://" + bare, "--ref", "v2");
      assertThat(fromBare.exit()).as(fromBare.err()).isZero();
      assertThat(version()).isEqualTo("git-v2");

      Cli fromWorkTree = cli("deploy", "web", repo.toString());
      assertThat(fromWorkTree.exit()).as(fromWorkTree.err()).isZero();

      Cli fromTarball =
          cli(
              "deploy",
              "web",
              tarball.toString(),
              "--revision",
              second,
              "--source-label",
              "git push refs/heads/main");
      assertThat(fromTarball.exit()).as(fromTarball.err()).isZero();
      assertThat(fromTarball.out()).contains("-----> unpack   " + tarball);
      assertThat(version()).isEqualTo("git-v2");

      // Release 1 was berth up's copy of the configured dir; 2 and 3 came from git.
      JsonNode releases = releasesJson();
      assertThat(releases.path("releases")).hasSize(2);
      JsonNode four = releases.path("releases").get(0);
      assertThat(four.path("number").asInt()).isEqualTo(4);
      assertThat(four.path("revision").asText()).isEqualTo(second);
      assertThat(four.path("source").asText()).isEqualTo(repo.toString());
      JsonNode five = releases.path("releases").get(1);
      assertThat(five.path("number").asInt()).isEqualTo(5);
      assertThat(five.path("revision").asText()).isEqualTo(second);
      assertThat(five.path("source").asText()).isEqualTo("git push refs/heads/main");
      assertThat(five.path("current").asBoolean()).isTrue();
      assertThat(five.path("config_hash").asText()).matches("[0-9a-f]{12}");
      // The release tree has the files, not the repository.
      assertThat(tmp.resolve("state/apps/web/releases/5/wsgi.py")).exists();
      assertThat(tmp.resolve("state/apps/web/releases/5/.git")).doesNotExist();

      // A dirty work tree says so.
      Files.writeString(repo.resolve("VERSION"), "git-v3-uncommitted\n");
      assertThat(cli("deploy", "web", repo.toString()).exit()).isZero();
      assertThat(releasesJson().path("releases").get(1).path("revision").asText())
          .isEqualTo(second + "-dirty");
      assertThat(version()).isEqualTo("git-v3-uncommitted");

      Cli missing = cli("deploy", "web", tmp.resolve("nowhere").toString());
      assertThat(missing.exit()).isEqualTo(2);
      assertThat(missing.err())
          .isEqualTo("berth: deploy: " + tmp.resolve("nowhere") + ": no such file or directory");
      Cli badRef = cli("deploy", "web", repo.toString(), "--ref", "no-such-branch");
      assertThat(badRef.exit()).isEqualTo(1);
      assertThat(badRef.err()).contains("ref \"no-such-branch\" not found");
      Cli unknown = cli("deploy", "nope");
      assertThat(unknown.exit()).isEqualTo(1);
      assertThat(unknown.err()).isEqualTo("berth: no app \"nope\" run by this berth");
      assertThat(version()).isEqualTo("git-v3-uncommitted");
    }
  }

  // --- 5. one at a time -------------------------------------------------------------------------

  @Test
  void
      whileADeployRunsASecondDeployARestartAndAScaleOfTheAppFailAtOnceAndAPhasePastItsTimeoutIsEnded()
          throws Exception {
    Path source = source("src", "v1");
    Path gate = tmp.resolve("gate");
    Path hang = tmp.resolve("hang");
    String app =
        webApp(
            source,
            """
            build = "while [ ! -e %s ]; do sleep 0.1; done"
            release = "if [ -e %s ]; then echo hanging; exec sleep 600; fi; echo migrated"
            release_timeout = "2s"
            """
                .formatted(gate, hang));
    // berth up runs the build of its first release: open the gate for it, then close it.
    Files.writeString(gate, "");
    try (BerthProcess berth = up(app)) {
      Files.delete(gate);
      Thread deploying = Thread.ofPlatform().start(() -> cli("deploy", "web"));
      try {
        Await.until(
            "the first deploy is in its build",
            WAIT,
            () ->
                Files.readString(tmp.resolve("state/log/web.log"))
                    .contains("deploy: release 2 from"));
        for (List<String> args :
            List.of(
                List.of("deploy", "web"),
                List.of("restart", "web"),
                List.of("scale", "web", "web=3"))) {
          Cli busy = cli(args.toArray(String[]::new));
          assertThat(busy.exit()).as("%s", args).isEqualTo(1);
          assertThat(busy.err())
              .as("%s", args)
              .startsWith("berth: web: busy: a deploy is in progress (for ");
        }
        assertThat(status().path("instances")).hasSize(2);
      } finally {
        Files.writeString(gate, "");
        deploying.join(WAIT);
      }
      assertThat(releasesJson().path("current").asInt()).isEqualTo(2);
      assertThat(cli("restart", "web").exit()).isZero();

      // A release phase that hangs is ended at release_timeout, with its process tree.
      Files.writeString(hang, "");
      Cli deploy = cli("deploy", "web");
      assertThat(deploy.exit()).isEqualTo(1);
      assertThat(deploy.err())
          .contains(
              "release phase did not finish within 2s (build_timeout/release_timeout); its processes were ended")
          .contains("hanging");
      assertThat(berth.descendants())
          .noneMatch(p -> p.info().commandLine().orElse("").contains("sleep 600"));
      assertThat(releasesJson().path("current").asInt()).isEqualTo(2);

      // --json: the events, then the result.
      Cli json = cli("rollback", "web", "2", "--json");
      assertThat(json.exit()).isEqualTo(1);
      assertThat(JSON.readTree(json.out()).path("error").asText())
          .isEqualTo("berth: rollback of web: release 2 is current already");
      Files.delete(hang);
      json = cli("deploy", "web", "--json");
      assertThat(json.exit()).as(json.out()).isZero();
      List<String> lines = json.out().lines().toList();
      assertThat(JSON.readTree(lines.get(0)).path("event").asText()).isEqualTo("progress");
      assertThat(lines)
          .anyMatch(
              l -> l.equals("{\"event\":\"output\",\"source\":\"release\",\"text\":\"migrated\"}"));
      assertThat(JSON.readTree(lines.get(lines.size() - 1)).path("release").asInt()).isEqualTo(3);
    }
  }

  // --- 6. the app's user
  // --------------------------------------------------------------------------

  @Test
  void aRootBerthGivesTheReleaseToTheAppsUserWhoRunsTheBuildAndReleasePhases() throws Exception {
    Assumptions.assumeTrue(UserAccount.currentUid() == 0, "berth must run as root for this test");
    UserAccount nobody = UserAccount.lookup("nobody").orElseThrow();
    // nobody must pass through tmp to its release and socket in tmp/state.
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path source = source("src", "v1");
    String app =
        """
        [apps.web]
        dir = "%s"
        command = "%s"
        build = "/usr/bin/python3 -c 'import os; open(\\"BUILT\\", \\"w\\").write(str(os.getuid()))'"
        release = "id -u > MIGRATED; echo migrated as $USER"
        stop_timeout = "5s"
        """
            .formatted(source, GUNICORN);
    try (BerthProcess berth = up(app)) {
      Cli deploy = cli("deploy", "web");
      assertThat(deploy.exit()).as(deploy.err()).isZero();
      assertThat(deploy.out()).contains("       migrated as nobody");
      // Release 1 is berth up's copy of the folder (no build); the deploy made release 2.
      Path release = tmp.resolve("state/apps/web/releases/2");
      assertThat(Files.readString(release.resolve("BUILT"))).isEqualTo(Long.toString(nobody.uid()));
      assertThat(Files.readString(release.resolve("MIGRATED")).strip())
          .isEqualTo(Long.toString(nobody.uid()));
      assertThat(((Number) Files.getAttribute(release.resolve("wsgi.py"), "unix:uid")).longValue())
          .isEqualTo(nobody.uid());
      assertThat(Files.getPosixFilePermissions(release))
          .isEqualTo(PosixFilePermissions.fromString("rwx------"));
      JsonNode whoami = JSON.readTree(Curl.get("http://127.0.0.1:" + port + "/whoami").body());
      assertThat(whoami.path("uid").asLong()).isEqualTo(nobody.uid());
      assertThat(version()).isEqualTo("v1");
      // The release phase's output is in the app's log.
      assertThat(Files.readString(tmp.resolve("state/log/web.log")))
          .contains(" release | migrated as nobody");

      // A rollback runs no release phase, and says so: release 2's migrations stay applied.
      Cli rollback = cli("rollback", "web");
      assertThat(rollback.exit()).as(rollback.err()).isZero();
      assertThat(rollback.out().lines())
          .containsSubsequence(
              "-----> rollback to release 1 (from release 2)",
              "-----> release  not run again: id -u > MIGRATED; echo migrated as $USER (release"
                  + " 2's migrations stay applied; to undo them, run the backwards migration with"
                  + " berth run first)")
          .noneMatch(l -> l.contains("migrated as nobody"));
    }
  }

  // --- helpers -----------------------------------------------------------------------------------

  /** A copy of the test app with a VERSION file. */
  private Path source(String name, String version) throws Exception {
    Path dir = Files.createDirectories(tmp.resolve(name));
    try (Stream<Path> files = Files.list(BerthProcess.testApp())) {
      for (Path file : files.filter(p -> p.toString().endsWith(".py")).toList()) {
        Files.copy(file, dir.resolve(file.getFileName()));
      }
    }
    Files.writeString(dir.resolve("VERSION"), version + "\n");
    return dir;
  }

  private Path copy(Path from, String name, String version) throws Exception {
    Path dir = Files.createDirectories(tmp.resolve(name));
    try (Stream<Path> files = Files.list(from)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        Files.copy(file, dir.resolve(file.getFileName()));
      }
    }
    Files.writeString(dir.resolve("VERSION"), version + "\n");
    return dir;
  }

  private static String webApp(Path dir, String extra) {
    return webApp(dir, GUNICORN, extra);
  }

  private static String webApp(Path dir, String command, String extra) {
    return """
        [apps.web]
        user = "root"
        dir = "%s"
        command = "%s"
        instances = 2
        drain_timeout = "10s"
        stop_timeout = "5s"
        %s
        """
        .formatted(dir, command, extra);
  }

  private BerthProcess up(String apps) throws Exception {
    return BerthProcess.upOnFreePort(
        freePort -> {
          port = freePort;
          config =
              BerthProcess.write(
                  tmp.resolve("berth.toml"),
                  """
                  state_dir = "%s/state"

                  [[listeners]]
                  address = "127.0.0.1:%d"

                  %s

                  [[routes]]
                  path = "/"
                  app = "web"
                  """
                      .formatted(tmp, freePort, apps));
          return config;
        });
  }

  private Cli cli(String... args) {
    return Cli.run(config, args);
  }

  private String version() throws Exception {
    Curl.Response response = Curl.get("http://127.0.0.1:" + port + "/version");
    assertThat(response.status()).as(response.body()).isEqualTo(200);
    return response.body().strip();
  }

  private JsonNode releasesJson() throws Exception {
    Cli releases = cli("releases", "web", "--json");
    assertThat(releases.exit()).as(releases.err()).isZero();
    return JSON.readTree(releases.out());
  }

  private JsonNode status() throws Exception {
    return Cli.status(config);
  }

  private Set<Long> pids() throws Exception {
    Set<Long> pids = new HashSet<>();
    status().path("instances").forEach(i -> pids.add(i.path("pid").asLong()));
    return pids;
  }

  private static List<ProcessHandle> gunicornMasters(BerthProcess berth) {
    return berth.descendants().stream()
        .filter(p -> p.info().commandLine().orElse("").contains("gunicorn"))
        .filter(
            p ->
                p.parent()
                    .map(parent -> !parent.info().commandLine().orElse("").contains("gunicorn"))
                    .orElse(true))
        .toList();
  }

  private static String git(Path dir, String... args) throws Exception {
    List<String> argv =
        new java.util.ArrayList<>(
            List.of(
                "git",
                "-C",
                dir.toString(),
                "-c",
                "user.name=test",
                "-c",
                "user.email=test@example.com"));
    argv.addAll(List.of(args));
    return run(argv);
  }

  private static String run(List<String> argv) throws Exception {
    Process process = new ProcessBuilder(argv).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes()).strip();
    assertThat(process.waitFor()).as("%s: %s", argv, out).isZero();
    return out;
  }
}
