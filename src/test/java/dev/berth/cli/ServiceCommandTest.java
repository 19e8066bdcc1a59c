package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.berth.testing.BerthProcess;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code berth service install} run for real, as root (this machine's tests run as root) and as
 * nobody through setpriv. Only {@code --dry-run}, or real runs that must fail before touching
 * anything on this host (no systemd running, no crontab installed), which the assumptions check.
 */
class ServiceCommandTest {

  private static final Path SETPRIV = Path.of("/usr/bin/setpriv");
  private static final Path SYSTEMD_RUNNING = Path.of("/run/systemd/system");

  @TempDir Path tmp;
  private Path config;

  @BeforeEach
  void setUp() throws Exception {
    // @TempDir is 0700; nobody must be able to read the config.
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    config =
        BerthProcess.write(
            tmp.resolve("site/berth.toml"),
            """
            shutdown_timeout = "5s"

            [[listeners]]
            address = "127.0.0.1:80"

            [apps.web]
            command = "gunicorn wsgi:app"
            stop_timeout = "3s"

            [[routes]]
            app = "web"
            """);
    Files.setPosixFilePermissions(config.getParent(), PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private record Run(int exit, String output) {}

  /**
   * Runs berth, in {@code dir}, as root or (through setpriv with a clean environment) as nobody.
   */
  private Run berth(boolean asNobody, Path dir, String... args) throws Exception {
    List<String> command = new ArrayList<>();
    String classpath = System.getProperty("java.class.path");
    if (asNobody) {
      command.addAll(
          List.of(
              SETPRIV.toString(),
              "--reuid",
              "nobody",
              "--regid",
              "nogroup",
              "--clear-groups",
              "--reset-env"));
      classpath = readableClasspath();
    }
    command.add(ProcessHandle.current().info().command().orElseThrow());
    command.addAll(
        List.of(
            "-XX:+UseSerialGC",
            "-Xmx64m",
            "-XX:TieredStopAtLevel=1",
            "-cp",
            classpath,
            "dev.berth.Main"));
    command.addAll(List.of(args));
    ProcessBuilder builder =
        new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
    // As root: no sudo in the picture, so the service user comes from --user or the config's owner.
    builder
        .environment()
        .keySet()
        .removeAll(List.of("SUDO_USER", "DOAS_USER", "BERTH_CONFIG", "XDG_RUNTIME_DIR"));
    // As the launcher does. (For nobody, setpriv clears it: berth finds itself from its classes.)
    builder.environment().put("BERTH_HOME", BerthProcess.repo().toString());
    Process process = builder.start();
    process.getOutputStream().close();
    String output =
        new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Run(process.exitValue(), output);
  }

  /**
   * The test classpath, with the jars from Maven's repository (under /root, which nobody cannot
   * read) copied into the world-readable temp directory; class directories are under the
   * world-readable worktree.
   */
  private String readableClasspath() throws Exception {
    Path lib = Files.createDirectories(tmp.resolve("lib"));
    Files.setPosixFilePermissions(lib, PosixFilePermissions.fromString("rwxr-xr-x"));
    List<String> entries = new ArrayList<>();
    int n = 0;
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      Path path = Path.of(entry);
      if (Files.isRegularFile(path)) {
        Path copy = lib.resolve(n++ + "-" + path.getFileName());
        Files.copy(path, copy);
        Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rw-r--r--"));
        entries.add(copy.toString());
      } else {
        entries.add(entry);
      }
    }
    return String.join(File.pathSeparator, entries);
  }

  private static boolean root() throws Exception {
    return Files.readAllLines(Path.of("/proc/self/status")).stream()
        .filter(line -> line.startsWith("Uid:"))
        .anyMatch(line -> line.split("\\s+")[2].equals("0"));
  }

  private static boolean crontabInstalled() {
    return Stream.of("/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin")
        .anyMatch(dir -> Files.exists(Path.of(dir, "crontab")));
  }

  private static int unprivilegedPortStart() throws Exception {
    try (var in = Files.newInputStream(Path.of("/proc/sys/net/ipv4/ip_unprivileged_port_start"))) {
      return Integer.parseInt(new String(in.readAllBytes(), StandardCharsets.US_ASCII).strip());
    }
  }

  @Test
  void asRootTheDryRunPrintsTheSystemUnitAndTheCommands() throws Exception {
    assumeTrue(root(), "runs as root");
    Run run =
        berth(
            false,
            tmp,
            "service",
            "install",
            "--dry-run",
            "-c",
            config.toString(),
            "--user",
            "nobody");

    assertThat(run.exit()).as(run.output()).isZero();
    List<String> lines = run.output().lines().toList();
    assertThat(lines.getFirst())
        .isEqualTo(
            "berth service install --dry-run: nothing was changed. A real run as root would:");
    assertThat(lines.get(1)).isEqualTo("write /etc/systemd/system/berth.service:");
    assertThat(lines)
        .contains(
            "    Description=berth: " + config,
            "    User=nobody",
            "    Group=nogroup",
            "    WorkingDirectory=" + config.getParent(),
            "    Environment=BERTH_JAVA=" + Path.of(System.getProperty("java.home"), "bin", "java"),
            "    ExecStart=" + BerthProcess.repo().resolve("berth") + " up -c " + config,
            "    AmbientCapabilities=CAP_NET_BIND_SERVICE",
            "    CapabilityBoundingSet=CAP_NET_BIND_SERVICE",
            "    NoNewPrivileges=true",
            "    KillMode=mixed",
            "    TimeoutStopSec=23s",
            "    Restart=on-failure",
            "    WantedBy=multi-user.target")
        .containsSubsequence(
            "run: systemctl daemon-reload", "run: systemctl enable --now berth.service");
    if (!Files.exists(SYSTEMD_RUNNING)) {
      assertThat(lines.getLast())
          .isEqualTo(
              "note: a real run would fail here: systemd is not running on this host (no /run/systemd/system), so no"
                  + " unit can be enabled");
    }
  }

  @Test
  void asRootWithoutSystemdARealInstallFailsWithOneLineAndWritesNothing() throws Exception {
    // Only where it must fail before doing anything: no unit is ever installed by the tests.
    assumeTrue(root(), "runs as root");
    assumeFalse(Files.exists(SYSTEMD_RUNNING), "systemd is running here");
    Path unit = Path.of("/etc/systemd/system/berth-service-test.service");
    assumeFalse(Files.exists(unit));

    Run run =
        berth(
            false,
            tmp,
            "service",
            "install",
            "--name",
            "berth-service-test",
            "-c",
            config.toString(),
            "--user",
            "nobody");
    assertThat(run.exit()).as(run.output()).isEqualTo(1);
    assertThat(run.output())
        .isEqualTo(
            "berth: systemd is not running on this host (no /run/systemd/system), so no unit can be enabled");
    assertThat(unit).doesNotExist();
  }

  @Test
  void asRootWithoutAnUnprivilegedUserToRunAsItAsksForOne() throws Exception {
    assumeTrue(root(), "runs as root");
    // The config is root's, and there is no $SUDO_USER.
    Run run = berth(false, tmp, "service", "install", "--dry-run", "-c", config.toString());
    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.output())
        .isEqualTo(
            "berth: as root, berth installs a unit that runs berth as an unprivileged user: say which with --user NAME");
  }

  @Test
  void asAnOrdinaryUserWithoutSystemdTheDryRunPrintsTheCrontabLines() throws Exception {
    assumeTrue(root() && Files.isExecutable(SETPRIV), "runs as root, with setpriv");
    Run run = berth(true, tmp, "service", "install", "--dry-run", "-c", config.toString());

    assertThat(run.exit()).as(run.output()).isZero();
    List<String> lines = run.output().lines().toList();
    Path dir = config.getParent();
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    // setpriv --reset-env gives nobody PATH=/usr/local/bin:/bin:/usr/bin.
    String berth =
        "PATH=/usr/local/bin:/bin:/usr/bin BERTH_JAVA="
            + java
            + " "
            + BerthProcess.repo().resolve("berth");
    String up = berth + " up --detach -c " + config + " >/dev/null 2>&1";
    assertThat(lines.subList(0, 5))
        .containsExactly(
            "berth service install --dry-run: nothing was changed. A real run as nobody (uid 65534) would:",
            "add to the crontab of nobody (crontab -l, then crontab - with the result):",
            "    # berth service berth (berth service uninstall removes this line and the two after it)",
            "    @reboot cd " + dir + " && " + up,
            "    */5 * * * * cd "
                + dir
                + " && { "
                + berth
                + " ping -c "
                + config
                + " >/dev/null 2>&1 || "
                + up
                + "; }");
    assertThat(lines)
        .contains(
            "note: no systemd user instance is reachable ($XDG_RUNTIME_DIR/systemd/private), so cron starts berth");
    if (unprivilegedPortStart() > 80) {
      assertThat(lines).anyMatch(l -> l.startsWith("note: listener 127.0.0.1:80: ports below "));
    }
    if (!crontabInstalled()) {
      assertThat(lines.getLast())
          .isEqualTo(
              "note: a real run would fail here: crontab is not installed; add the lines above to your crontab by hand");
    }
    assertThat(run.output()).doesNotContain("/nonexistent");
  }

  @Test
  void asAnOrdinaryUserWithoutCrontabARealInstallFailsWithTheLinesToAdd() throws Exception {
    // Only where crontab is not installed: no crontab is ever changed by the tests.
    assumeTrue(root() && Files.isExecutable(SETPRIV), "runs as root, with setpriv");
    assumeFalse(crontabInstalled(), "crontab is installed here");
    Run run = berth(true, tmp, "service", "install", "-c", config.toString());
    assertThat(run.exit()).as(run.output()).isEqualTo(1);
    assertThat(run.output())
        .startsWith(
            "berth: crontab is not installed; add these lines to your crontab by hand:\n@reboot cd ")
        .contains(" up --detach -c " + config + " >/dev/null 2>&1\n*/5 * * * * cd ")
        .endsWith(" up --detach -c " + config + " >/dev/null 2>&1; }")
        .hasLineCount(3);
  }

  @Test
  void serviceNeedsASubcommandAndInstallAConfigOtherThanTheExamples() throws Exception {
    Run bare = berth(false, tmp, "service");
    assertThat(bare.exit()).isEqualTo(2);
    assertThat(bare.output())
        .isEqualTo("berth: service: say what to do: install or uninstall (see 'berth --help')");

    Run examples = berth(false, tmp, "service", "install", "--dry-run");
    assertThat(examples.exit()).isEqualTo(2);
    assertThat(examples.output())
        .isEqualTo(
            "berth: service install: say which config to start at boot with -c FILE (not the bundled examples)");

    Run badName =
        berth(
            false,
            tmp,
            "service",
            "install",
            "--dry-run",
            "-c",
            config.toString(),
            "--name",
            "a/b");
    assertThat(badName.exit()).isEqualTo(2);
    assertThat(badName.output()).startsWith("berth: --name a/b: expected");
  }
}
