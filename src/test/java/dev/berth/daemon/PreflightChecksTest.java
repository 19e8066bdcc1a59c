package dev.berth.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.config.ConfigLoader;
import dev.berth.config.UserAccount;
import dev.berth.process.CommandResult;
import dev.berth.process.ShortCommand;
import dev.berth.testing.BerthProcess;
import dev.berth.testing.Cli;
import dev.berth.testing.ReadableClasspath;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code berth check} and {@code berth up} check each app against this host as its user: a missing
 * program, or a state_dir the app's user cannot reach, is one line with the file and line, and
 * nothing starts; so is a dir, env_file or static root that berth's own user cannot read. As root
 * (as CI runs), apps run as nobody; elsewhere the tests are skipped.
 */
class PreflightChecksTest {

  private static final String SYSTEM_PATH =
      "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  @TempDir Path tmp;

  /** The apps' dir, nobody's (so writable, no warning), unless a test says otherwise. */
  private Path site;

  @BeforeEach
  void asRoot() throws Exception {
    Assumptions.assumeTrue(UserAccount.currentUid() == 0, "berth must run as root for this test");
    // nobody must reach what it runs, as on a real host.
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    site = Files.createDirectory(tmp.resolve("site"));
    Files.setAttribute(site, "unix:uid", (int) UserAccount.lookup("nobody").orElseThrow().uid());
  }

  @Test
  void aMissingProgramIsOneLineWithFileAndLineAndBerthUpStartsNothing() throws Exception {
    Path config =
        config(
            """
            [apps.web]
            dir = "%s"
            command = "no-such-program --flag"
            """
                .formatted(site));
    String expected =
        "berth.toml:"
            + lineOf(config, "command =")
            + ": apps.web.command: no-such-program: not found for user nobody (PATH="
            + SYSTEM_PATH
            + ")";
    Cli check = Cli.run(config, "check");
    assertThat(check.exit()).isEqualTo(2);
    assertThat(check.err()).isEqualTo(expected);
    assertThat(check.out()).isEmpty();

    try (BerthProcess up = BerthProcess.start("up", "--config", config.toString())) {
      assertThat(up.waitFor(Duration.ofSeconds(60))).isEqualTo(2);
      assertThat(up.output().strip()).isEqualTo(expected);
    }
    assertThat(tmp.resolve("state")).as("nothing started, nothing made").doesNotExist();
  }

  @Test
  void theAppsOwnPathIsUsedAndEachProcessTypeIsChecked() throws Exception {
    Path tools = Files.createDirectories(tmp.resolve("tools"));
    Path tool = Files.writeString(tools.resolve("mytool"), "#!/bin/sh\n");
    Files.setPosixFilePermissions(tool, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path config =
        config(
            """
            [apps.web]
            dir = "%1$s"
            command = "PORT_HINT=1 exec mytool --serve"
            env = { PATH = "%2$s:/usr/bin" }

            [apps.web.processes]
            worker = "/usr/bin/python3 worker.py"
            mailer = "sendmail-ish --queue"
            """
                .formatted(site, tools));
    Cli check = Cli.run(config, "check");
    assertThat(check.exit()).as(check.out()).isEqualTo(2);
    assertThat(check.err())
        .isEqualTo(
            "berth.toml:"
                + lineOf(config, "mailer =")
                + ": apps.web.processes.mailer.command: sendmail-ish: not found for user nobody"
                + " (PATH="
                + tools
                + ":/usr/bin)");

    // Without the app's PATH, mytool is not on nobody's.
    Files.writeString(
        config,
        Files.readString(config).replace("env = { PATH = \"" + tools + ":/usr/bin\" }", ""));
    assertThat(Cli.run(config, "check").err())
        .contains("apps.web.command: mytool: not found for user nobody (PATH=" + SYSTEM_PATH + ")");
  }

  @Test
  void aDirOnlyBerthCanReadIsNoProblem() throws Exception {
    // berth (root) copies it into a release that is nobody's: nobody need not read it, nor write.
    Files.setAttribute(site, "unix:uid", 0);
    Files.setPosixFilePermissions(site, PosixFilePermissions.fromString("rwx------"));
    Path config =
        config(
            """
            [apps.web]
            dir = "%s"
            command = "/usr/bin/python3 -m http.server"
            """
                .formatted(site));
    Cli check = Cli.run(config, "check");
    assertThat(check.exit()).as(check.err()).isZero();
    assertThat(check.out()).contains(": ok (1 listener(s), 1 app(s), 1 route(s))");
    assertThat(check.err()).isEmpty();
  }

  @Test
  void aStrippedPrefixBeforeGunicornIsAWarningWithTheWayOutAndTheConfigIsStillOk()
      throws Exception {
    Path config =
        config(
            """
            [apps.web]
            dir = "%s"
            command = "gunicorn -w 2 mysite.wsgi"

            [[routes]]
            path = "/blog"
            app = "web"
            strip_prefix = true
            """
                .formatted(site));
    Cli check = Cli.run(config, "check");
    assertThat(check.exit()).as(check.err()).isZero();
    assertThat(check.err())
        .isEqualTo(
            "berth: WARNING: berth.toml:"
                + lineOf(config, "strip_prefix =")
                + ": routes[0].strip_prefix: the app web runs gunicorn: its pages would link out of"
                + " /blog (strip_prefix rewrites only redirects); leave strip_prefix off: berth"
                + " passes the prefix as SCRIPT_NAME and X-Forwarded-Prefix, and gunicorn makes it"
                + " the mount point");
    assertThat(check.out()).contains(": ok (1 listener(s), 1 app(s), 2 route(s))");

    Files.writeString(config, Files.readString(config).replace("strip_prefix = true", ""));
    assertThat(Cli.run(config, "check").err()).as("not stripped: no warning").isEmpty();
  }

  @Test
  void aStateDirTheAppsUserCannotReachIsOneLinePerUserAndBerthUpStartsNothing() throws Exception {
    Path closed = Files.createDirectory(tmp.resolve("closed"));
    Files.setPosixFilePermissions(closed, PosixFilePermissions.fromString("rwx------"));
    Path stateDir = closed.resolve("berth/state");
    Path config =
        BerthProcess.write(
            tmp.resolve("berth.toml"),
            """
            state_dir = "%s"

            [[listeners]]
            address = "127.0.0.1:%d"

            [apps.web]
            dir = "%s"
            command = "/usr/bin/python3 -m http.server"

            [[routes]]
            path = "/"
            app = "web"
            """
                .formatted(stateDir, BerthProcess.freePort(), site));
    String expected =
        "berth.toml:1: state_dir: "
            + stateDir
            + " is not reachable by user nobody ("
            + closed
            + " is 0700); apps.web runs as nobody and finds its release, socket and data there:"
            + " leave state_dir unset (a root berth keeps its state under /var/lib/berth) or let"
            + " nobody through (chmod o+x "
            + closed
            + ")";
    Cli check = Cli.run(config, "check");
    assertThat(check.exit()).isEqualTo(2);
    assertThat(check.err()).isEqualTo(expected);

    try (BerthProcess up = BerthProcess.start("up", "--config", config.toString())) {
      assertThat(up.waitFor(Duration.ofSeconds(60))).isEqualTo(2);
      assertThat(up.output().strip()).isEqualTo(expected);
    }
    assertThat(closed.resolve("berth")).as("nothing started, nothing made").doesNotExist();

    // Two apps of one user: one line naming both; an app run as root (berth's user) is not asked.
    Files.writeString(
        config,
        Files.readString(config)
            + """

            [apps.api]
            dir = "%1$s"
            command = "/usr/bin/python3 -m http.server"

            [apps.admin]
            user = "root"
            dir = "%1$s"
            command = "/usr/bin/python3 -m http.server"
            """
                .formatted(site));
    check = Cli.run(config, "check");
    assertThat(check.exit()).isEqualTo(2);
    assertThat(check.err())
        .isEqualTo(
            "berth.toml:1: state_dir: "
                + stateDir
                + " is not reachable by user nobody ("
                + closed
                + " is 0700); apps.web and apps.api run as nobody and find their releases,"
                + " sockets and data there: leave state_dir unset (a root berth keeps its state"
                + " under /var/lib/berth) or let nobody through (chmod o+x "
                + closed
                + ")");

    // Passing through is enough: berth makes the rest.
    Files.setPosixFilePermissions(closed, PosixFilePermissions.fromString("rwx--x--x"));
    assertThat(Cli.run(config, "check").exit()).isZero();
  }

  @Test
  void aClosedCheckoutPassesUnlessAnEarlierBerthKeptItsStateThere() throws Exception {
    // A checkout in a directory closed to others (root's home, a private temporary directory).
    Path closed = Files.createDirectory(tmp.resolve("closed"));
    Files.setPosixFilePermissions(closed, PosixFilePermissions.fromString("rwx------"));
    Path app = Files.createDirectory(closed.resolve("app"));
    Path config =
        BerthProcess.write(
            closed.resolve("berth.toml"),
            """
            [[listeners]]
            address = "127.0.0.1:%d"

            [apps.web]
            dir = "app"
            command = "/usr/bin/python3 -m http.server"

            [[routes]]
            path = "/"
            app = "web"
            """
                .formatted(BerthProcess.freePort()));
    // berth (root) copies the app into a release under /var/lib/berth (here: the tests' own
    // $STATE_DIRECTORY), which nobody reaches.
    Cli check = Cli.run(config, "check");
    assertThat(check.err()).isEmpty();
    assertThat(check.exit()).isZero();
    assertThat(check.out()).contains("; state in ").doesNotContain("state in " + closed);

    // An earlier berth kept app data in .berth beside the config: berth keeps using it, and says
    // that nobody cannot reach it.
    Files.createDirectories(closed.resolve(".berth/data/web"));
    Files.writeString(closed.resolve(".berth/data/web/notes.db"), "rows\n");
    check = Cli.run(config, "check");
    assertThat(check.exit()).isEqualTo(2);
    assertThat(check.err())
        .isEqualTo(
            "berth.toml:1: state_dir: "
                + closed.resolve(".berth")
                + " is not reachable by user nobody ("
                + closed
                + " is 0700); apps.web runs as nobody and finds its release, socket and data"
                + " there: it holds what an earlier berth kept; move it away (a root berth then"
                + " keeps its state under /var/lib/berth) or let nobody through (chmod o+x "
                + closed
                + ")");
  }

  @Test
  void whatBerthsOwnUserCannotReadIsAnErrorNamingTheClosedDirectory() throws Exception {
    // As a berth that runs as nobody would find it: berth's own reads asked as nobody.
    Path config = closedToBerth();
    UserAccount nobody = UserAccount.lookup("nobody").orElseThrow();
    PreflightChecks.Report report =
        PreflightChecks.of(ConfigLoader.load(config), Optional.of(nobody));
    assertThat(report.warnings()).isEmpty();
    assertThat(report.errors()).containsExactlyElementsOf(closedToBerthErrors(config));

    // berth as it runs here (root) reads them all.
    Cli check = Cli.run(config, "check");
    assertThat(check.err()).isEmpty();
    assertThat(check.exit()).isZero();
  }

  @Test
  void aBerthThatIsNotRootSaysWhatItCannotReadAndThatItIsThere() throws Exception {
    Path config = closedToBerth();
    UserAccount nobody = UserAccount.lookup("nobody").orElseThrow();
    // berth check run as nobody, from a copy of the classpath nobody can read.
    List<String> argv = new ArrayList<>();
    argv.add(ProcessHandle.current().info().command().orElse("java"));
    argv.addAll(List.of("-XX:-UsePerfData", "-XX:+UseSerialGC", "-Xmx128m", "-cp"));
    argv.add(ReadableClasspath.under(Files.createDirectory(tmp.resolve("cp"))));
    argv.addAll(List.of("dev.berth.Main", "check", "--config", config.toString()));
    CommandResult check =
        ShortCommand.of(argv).runAs(nobody.runAs()).timeout(Duration.ofSeconds(60)).run();
    assertThat(check.exitCode()).as(check.stdout() + check.stderr()).isEqualTo(2);
    assertThat(check.stderr().strip().lines())
        .containsExactlyElementsOf(closedToBerthErrors(config));
  }

  /**
   * A config whose app dir and static root are in a directory closed to all but root, and whose
   * other app's env_file is root's alone; its state_dir and everything else open.
   */
  private Path closedToBerth() throws Exception {
    Path closed = Files.createDirectory(tmp.resolve("closed"));
    Path closedSite = Files.createDirectory(closed.resolve("site"));
    Path www = Files.createDirectory(closed.resolve("www"));
    Files.setPosixFilePermissions(closed, PosixFilePermissions.fromString("rwx------"));
    Path secret = Files.writeString(site.resolve("secret.env"), "KEY=1\n");
    Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
    return BerthProcess.write(
        tmp.resolve("berth.toml"),
        """
        state_dir = "%s/state"

        [[listeners]]
        address = "127.0.0.1:%d"

        [apps.web]
        dir = "%s"
        command = "/usr/bin/python3 -m http.server"

        [apps.api]
        dir = "%s"
        env_file = "secret.env"
        command = "/usr/bin/python3 -m http.server"

        [[routes]]
        path = "/"
        app = "web"

        [[routes]]
        path = "/static"
        static = "%s"
        """
            .formatted(tmp, BerthProcess.freePort(), closedSite, site, www));
  }

  /** What nobody, as berth, is told of {@link #closedToBerth}'s config. */
  private List<String> closedToBerthErrors(Path config) throws Exception {
    Path closed = tmp.resolve("closed");
    Path secret = site.resolve("secret.env");
    return List.of(
        "berth.toml:"
            + lineOf(config, "dir = \"" + closed)
            + ": apps.web.dir: "
            + closed.resolve("site")
            + " is not readable by user nobody ("
            + closed
            + " is 0700); berth copies it into a release as nobody: let nobody through"
            + " (chmod o+x "
            + closed
            + ") or move the app",
        "berth.toml:"
            + lineOf(config, "env_file =")
            + ": apps.api.env_file: "
            + secret
            + " is not readable by user nobody ("
            + secret
            + " is 0600); berth reads it as nobody at each start: give it to nobody (chown"
            + " nobody "
            + secret
            + ")",
        "berth.toml:"
            + lineOf(config, "static =")
            + ": routes[1].static: "
            + closed.resolve("www")
            + " is not readable by user nobody ("
            + closed
            + " is 0700); the edge serves it as nobody: let nobody through (chmod o+x "
            + closed
            + ") or move the files");
  }

  @Test
  void aReloadThatWouldStartAMissingProgramIsRejectedAndNothingChanges() throws Exception {
    String running =
        """
        [apps.web]
        user = "root"
        dir = "%s"
        command = "/usr/bin/gunicorn --workers 1 wsgi:app"
        stop_timeout = "2s"
        """
            .formatted(BerthProcess.testApp());
    Path[] config = new Path[1];
    try (BerthProcess berth =
        BerthProcess.upOnFreePort(port -> config[0] = config(running, port))) {
      List<Long> before = pids(config[0]);
      Files.writeString(
          config[0],
          Files.readString(config[0])
              + """

              [apps.extra]
              dir = "%s"
              command = "no-such-program"
              """
                  .formatted(site));
      Cli reload = Cli.run(config[0], "reload");
      assertThat(reload.exit()).as(reload.out()).isNotZero();
      assertThat(reload.err())
          .contains(
              "berth.toml:"
                  + lineOf(config[0], "command = \"no-such-program\"")
                  + ": apps.extra.command: no-such-program: not found for user nobody (PATH="
                  + SYSTEM_PATH
                  + ")");
      assertThat(pids(config[0])).isEqualTo(before);
      assertThat(berth.output()).doesNotContain("app + extra");
    }
  }

  private static List<Long> pids(Path config) throws Exception {
    List<Long> pids = new ArrayList<>();
    Cli.status(config).path("instances").forEach(i -> pids.add(i.path("pid").asLong()));
    return pids;
  }

  private Path config(String apps) throws Exception {
    return config(apps, BerthProcess.freePort());
  }

  private Path config(String apps, int port) throws Exception {
    return BerthProcess.write(
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
            .formatted(tmp, port, apps));
  }

  private static int lineOf(Path config, String start) throws Exception {
    List<String> lines = Files.readAllLines(config);
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).strip().startsWith(start)) {
        return i + 1;
      }
    }
    throw new AssertionError("no line starting with " + start);
  }
}
