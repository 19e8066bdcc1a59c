package dev.berth.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.berth.config.Config;
import dev.berth.config.ConfigLoader;
import dev.berth.service.ServiceInstaller.Options;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The plans for root, an ordinary user with systemd, and the crontab fallback, on a described host.
 */
class ServiceInstallerTest {

  private static final Options DEFAULTS = new Options("berth", null, false);
  private static final Path UNIT = Path.of("/etc/systemd/system/berth.service");
  private static final Path USER_UNIT = Path.of("/home/alice/.config/systemd/user/berth.service");

  @TempDir Path tmp;
  private Path site;
  private Config config;
  private final FakeHost host = new FakeHost();

  @BeforeEach
  void setUp() throws Exception {
    site = tmp.resolve("site");
    config = config(site, 8080);
  }

  private static Config config(Path dir, int port) throws Exception {
    Files.createDirectories(dir);
    Path file = dir.resolve("berth.toml");
    Files.writeString(
        file,
        """
        shutdown_timeout = "10s"

        [[listeners]]
        address = ":%d"

        [apps.web]
        command = "gunicorn wsgi:app"
        stop_timeout = "20s"

        [apps.quick]
        command = "gunicorn wsgi:app"

        [apps.legacy]
        upstreams = ["127.0.0.1:9000"]

        [[routes]]
        app = "web"
        """
            .formatted(port));
    // As ServiceCommand reads it: the service runs berth as a user.
    return ConfigLoader.loadAsUser(file);
  }

  private ServiceInstaller installer() {
    return new ServiceInstaller(host);
  }

  private static String dryRun(ServicePlan plan) {
    StringWriter out = new StringWriter();
    plan.printDryRun("berth service install", new PrintWriter(out));
    return out.toString();
  }

  /** Carries out the plan on the fake host: the exit code, then stdout, then "ERR " + stderr. */
  private String execute(ServicePlan plan) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = plan.execute(host, new PrintWriter(out), new PrintWriter(err));
    return exit + "\n" + out + (err.toString().isEmpty() ? "" : "ERR " + err);
  }

  // ---- root ----

  @Test
  void asRootASystemUnitRunsBerthAsTheSudoUserWithTheBindCapability() throws Exception {
    host.systemd().env.put("SUDO_USER", "alice");
    ServicePlan plan = installer().install(config, DEFAULTS);

    assertThat(plan.steps())
        .extracting(ServicePlan.Step::planned)
        .containsExactly(
            "write " + UNIT + ":",
            "run: systemctl daemon-reload",
            "run: systemctl enable --now berth.service");
    String unit = ((ServicePlan.WriteFile) plan.steps().getFirst()).content();
    assertThat(unit)
        .isEqualTo(
            """
            # Written by berth service install; berth service uninstall removes it.
            [Unit]
            Description=berth: %1$s/berth.toml
            Wants=network-online.target
            After=network-online.target

            [Service]
            Type=simple
            User=alice
            Group=staff
            WorkingDirectory=%1$s
            Environment=BERTH_JAVA=/usr/lib/jvm/jdk-21/bin/java
            ExecStart=/opt/berth/berth up -c %1$s/berth.toml
            # Ports below 1024 without root, and no other privilege.
            AmbientCapabilities=CAP_NET_BIND_SERVICE
            CapabilityBoundingSet=CAP_NET_BIND_SERVICE
            NoNewPrivileges=true
            # berth stops its apps itself on SIGTERM: shutdown_timeout, then each app's stop_timeout.
            # systemd kills whatever is left only after TimeoutStopSec.
            KillMode=mixed
            TimeoutStopSec=45s
            Restart=on-failure
            RestartSec=5s
            # Exit code 2 is a bad config: restarting would not help.
            RestartPreventExitStatus=2

            [Install]
            WantedBy=multi-user.target
            """
                .formatted(site));
    assertThat(plan.notes())
        .containsExactly("runs as alice (from $SUDO_USER; choose another with --user NAME)");
    assertThat(plan.blocker()).isNull();

    String output = execute(plan);
    assertThat(host.done)
        .containsExactly(
            "write " + UNIT + " rw-r--r--",
            "systemctl daemon-reload",
            "systemctl enable --now berth.service");
    assertThat(host.files.get(UNIT)).isEqualTo(unit);
    assertThat(output)
        .startsWith("0\nwrote " + UNIT + ":\n    # Written by berth service install;")
        .contains(
            "\n    WantedBy=multi-user.target\nran: systemctl daemon-reload\nran: systemctl enable --now berth.service\n")
        .contains("\n    Created symlink.\n")
        .endsWith(
            "berth: installed berth.service: it runs now as alice and starts at boot. Status: systemctl status"
                + " berth.service; logs: journalctl -u berth.service\n");
  }

  @Test
  void timeoutStopSecCoversTheDrainAndTheLongestStopOfAnAppBerthRuns() {
    // shutdown_timeout 10s + web's stop_timeout 20s (legacy is not run by berth) + 15s.
    assertThat(SystemdUnit.stopTimeout(config)).hasSeconds(45);
  }

  @Test
  void withoutSystemdARealRunFailsWithOneLineAndChangesNothing() throws Exception {
    host.programs.add("systemctl");
    ServicePlan plan = installer().install(config, new Options("berth", "bob", false));

    assertThat(dryRun(plan))
        .startsWith(
            "berth service install --dry-run: nothing was changed. A real run as root would:\nwrite "
                + UNIT)
        .contains("    User=bob\n    Group=bob\n")
        .endsWith(
            "run: systemctl enable --now berth.service\n"
                + "note: a real run would fail here: systemd is not running on this host (no /run/systemd/system),"
                + " so no unit can be enabled\n");
    assertThat(execute(plan))
        .isEqualTo(
            "1\nERR berth: systemd is not running on this host (no /run/systemd/system), so no unit can be enabled\n");
    assertThat(host.done).isEmpty();

    host.programs.clear();
    assertThat(installer().install(config, new Options("berth", "bob", false)).blocker().error())
        .isEqualTo("systemctl is not installed: berth service needs systemd as root");
  }

  @Test
  void asRootTheUserIsTheOptionElseSudoUserElseTheConfigsOwnerNeverRoot() throws Exception {
    host.systemd();
    assertThat(usageError(DEFAULTS))
        .isEqualTo(
            "as root, berth installs a unit that runs berth as an unprivileged user: say which with --user NAME");

    host.owners.put(config.file(), "root");
    host.env.put("SUDO_USER", "root");
    assertThat(usageError(DEFAULTS)).contains("say which with --user NAME");

    host.owners.put(config.file(), "bob");
    ServicePlan plan = installer().install(config, DEFAULTS);
    assertThat(plan.notes().getFirst())
        .isEqualTo(
            "runs as bob (the owner of " + config.file() + "; choose another with --user NAME)");

    host.env.put("SUDO_USER", "alice");
    assertThat(installer().install(config, DEFAULTS).notes().getFirst())
        .startsWith("runs as alice (from $SUDO_USER");

    ServicePlan chosen = installer().install(config, new Options("berth", "bob", false));
    assertThat(((ServicePlan.WriteFile) chosen.steps().getFirst()).content())
        .contains("\nUser=bob\n");
    assertThat(chosen.notes()).isEmpty();

    assertThat(usageError(new Options("berth", "root", false)))
        .isEqualTo(
            "--user root: has uid 0; the service runs as an unprivileged user: say which with --user NAME");
    assertThat(usageError(new Options("berth", "ghost", false)))
        .isEqualTo("--user ghost: no such user");
    host.env.put("SUDO_USER", "ghost");
    assertThat(usageError(DEFAULTS)).isEqualTo("ghost (from $SUDO_USER): no such user");
    assertThat(usageError(new Options("berth", "bob", true)))
        .startsWith("--cron is for ordinary users");
  }

  private String usageError(Options options) {
    ServiceException e =
        catchThrowableOfType(ServiceException.class, () -> installer().install(config, options));
    assertThat(e).as("a usage error").isNotNull();
    assertThat(e.exitCode()).isEqualTo(2);
    return e.getMessage();
  }

  @Test
  void aStateDirOwnedBySomeoneElseIsPointedOut() throws Exception {
    host.systemd().owners.put(config.stateDir(), "root");
    ServicePlan plan = installer().install(config, new Options("berth", "alice", false));
    assertThat(plan.notes())
        .containsExactly(
            "state_dir "
                + config.stateDir()
                + " belongs to root, but berth will run as alice: chown -R alice: "
                + config.stateDir());
  }

  @Test
  void reinstallingRestartsAChangedUnitAndLeavesAnUnchangedOneAlone() throws Exception {
    host.systemd();
    Options named = new Options("site-a.service", "alice", false);
    Path unit = Path.of("/etc/systemd/system/site-a.service");
    execute(installer().install(config, named));
    assertThat(host.files).containsKey(unit);

    ServicePlan same = installer().install(config, named);
    assertThat(same.steps())
        .extracting(ServicePlan.Step::planned)
        .containsExactly("run: systemctl enable --now site-a.service");
    assertThat(same.notes()).containsExactly(unit + " is already installed, unchanged");

    ServicePlan moved = installer().install(config(tmp.resolve("other"), 8080), named);
    assertThat(moved.steps())
        .extracting(ServicePlan.Step::planned)
        .containsExactly(
            "replace " + unit + ":",
            "run: systemctl daemon-reload",
            "run: systemctl enable site-a.service",
            "run: systemctl restart site-a.service");
  }

  @Test
  void badNamesAreUsageErrors() {
    host.systemd();
    assertThat(usageError(new Options("../evil", "alice", false)))
        .startsWith("--name ../evil: expected letters");
    assertThat(usageError(new Options("", "alice", false))).startsWith("--name : expected");
  }

  @Test
  void withoutKnowingWhereBerthIsInstalledNothingIsPlanned() {
    host.systemd().berthHome = null;
    ServiceException e =
        catchThrowableOfType(
            ServiceException.class,
            () -> installer().install(config, new Options("berth", "bob", false)));
    assertThat(e.exitCode()).isEqualTo(1);
    assertThat(e.getMessage()).contains("$BERTH_HOME is not set");
  }

  @Test
  void pathsWithSpacesAndPercentSignsAreQuotedForSystemdAndTheShell() throws Exception {
    host.systemd();
    Path odd = tmp.resolve("my site 100%");
    Config oddConfig = config(odd, 8080);
    String unit =
        ((ServicePlan.WriteFile)
                installer()
                    .install(oddConfig, new Options("berth", "bob", false))
                    .steps()
                    .getFirst())
            .content();
    String escaped = odd.toString().replace("%", "%%");
    assertThat(unit)
        .contains("\nWorkingDirectory=" + escaped + "\n")
        .contains("\nExecStart=/opt/berth/berth up -c \"" + escaped + "/berth.toml\"\n");
    assertThat(SystemdUnit.environment("PATH", "/a b:/c"))
        .isEqualTo("Environment=\"PATH=/a b:/c\"");
    assertThat(SystemdUnit.exec("/x", "a$b")).isEqualTo("/x \"a$$b\"");

    FakeHost user = new FakeHost().alice(false);
    user.programs.add("crontab");
    ServicePlan plan = new ServiceInstaller(user).install(oddConfig, DEFAULTS);
    List<String> lines = ((ServicePlan.Crontab) plan.steps().getFirst()).changed();
    String quoted = "'" + odd.toString().replace("%", "\\%") + "'";
    assertThat(lines.get(1))
        .startsWith("@reboot cd " + quoted + " && PATH=")
        .endsWith(
            " /opt/berth/berth up --detach -c '"
                + quoted.substring(1, quoted.length() - 1)
                + "/berth.toml' >/dev/null 2>&1");
    assertThat(lines.get(2)).startsWith("*/5 * * * * cd " + quoted + " && { PATH=");
  }

  // ---- an ordinary user with systemd ----

  @Test
  void anOrdinaryUserWithASystemdUserInstanceGetsAUserUnit() throws Exception {
    host.systemd().alice(true);
    ServicePlan plan = installer().install(config(site, 80), DEFAULTS);

    assertThat(plan.steps())
        .extracting(ServicePlan.Step::planned)
        .containsExactly(
            "write " + USER_UNIT + ":",
            "run: systemctl --user daemon-reload",
            "run: systemctl --user enable --now berth.service");
    String unit = ((ServicePlan.WriteFile) plan.steps().getFirst()).content();
    assertThat(unit)
        .doesNotContain("User=")
        .doesNotContain("Capabilit")
        .doesNotContain("network-online")
        .contains("\nEnvironment=PATH=/home/alice/.local/bin:/usr/bin:/bin\n")
        .contains("\nExecStart=/opt/berth/berth up -c " + site.resolve("berth.toml") + "\n")
        .contains("\nKillMode=mixed\nTimeoutStopSec=45s\n")
        .endsWith("[Install]\nWantedBy=default.target\n");
    assertThat(plan.notes())
        .containsExactly(
            "listener *:80: ports below 1024 need root on this host, so berth would fail to bind it; install as root"
                + " (sudo berth service install) or use a port from 1024 up",
            "to start at boot, before alice logs in (and to keep running after logout): loginctl enable-linger alice"
                + " (usually only root may: ask your administrator, once; or use --cron instead)");
    assertThat(plan.blocker()).isNull();

    assertThat(execute(plan))
        .endsWith(
            "berth: installed berth.service for alice: it runs now. Status: systemctl --user"
                + " status berth.service; logs: journalctl --user -u berth.service\n");
    assertThat(host.done)
        .containsExactly(
            "write " + USER_UNIT + " rw-r--r--",
            "systemctl --user daemon-reload",
            "systemctl --user enable --now berth.service");
  }

  @Test
  void withLingeringTheUserUnitStartsAtBootAndLowPortsAllowedByTheHostAreFine() throws Exception {
    host.systemd().alice(true);
    host.dirs.add(Path.of("/var/lib/systemd/linger/alice"));
    host.files.put(ServiceInstaller.UNPRIVILEGED_PORT_START, "0\n");
    host.env.put("XDG_CONFIG_HOME", "/home/alice/cfg");
    ServicePlan plan = installer().install(config(site, 80), DEFAULTS);
    assertThat(plan.steps().getFirst().planned())
        .isEqualTo("write /home/alice/cfg/systemd/user/berth.service:");
    assertThat(plan.notes())
        .containsExactly(
            "lingering is enabled for alice, so the systemd user instance, and berth, start at boot");
    assertThat(plan.done())
        .startsWith("berth: installed berth.service for alice: it runs now and starts at boot.");
  }

  @Test
  void anOrdinaryUserCannotInstallForAnother() {
    host.systemd().alice(true);
    assertThat(usageError(new Options("berth", "bob", false)))
        .isEqualTo("--user bob: only root can install a service for another user (you are alice)");
  }

  // ---- an ordinary user without systemd: crontab ----

  /** The @reboot line: berth up --detach, as alice, with her PATH and the JDK berth runs on. */
  private String rebootLine() {
    return "@reboot cd "
        + site
        + " && "
        + berth()
        + " up --detach -c "
        + site
        + "/berth.toml"
        + QUIET;
  }

  /** Every 5 minutes: berth up --detach when berth ping gets no answer. */
  private String watchdogLine() {
    return "*/5 * * * * cd "
        + site
        + " && { "
        + berth()
        + " ping -c "
        + site
        + "/berth.toml"
        + QUIET
        + " || "
        + berth()
        + " up --detach -c "
        + site
        + "/berth.toml"
        + QUIET
        + "; }";
  }

  private static String berth() {
    return "PATH=/home/alice/.local/bin:/usr/bin:/bin BERTH_JAVA=/usr/lib/jvm/jdk-21/bin/java"
        + " /opt/berth/berth";
  }

  private static final String QUIET = " >/dev/null 2>&1";

  private static final String MARKER =
      "# berth service berth (berth service uninstall removes this line and the two after it)";

  private static final String OLD_MARKER =
      "# berth service berth (berth service uninstall removes this line and the next)";

  @Test
  void withoutASystemdUserInstanceTheRebootAndWatchdogLinesAreAppendedToTheCrontabOnce()
      throws Exception {
    host.systemd().alice(false);
    host.programs.add("crontab");
    host.crontab = "MAILTO=alice\n0 3 * * * backup\n";
    ServicePlan plan = installer().install(config, DEFAULTS);

    assertThat(dryRun(plan))
        .isEqualTo(
            """
            berth service install --dry-run: nothing was changed. A real run as alice (uid 1000) would:
            add to the crontab of alice (crontab -l, then crontab - with the result):
                %s
                %s
                %s
            note: no systemd user instance is reachable ($XDG_RUNTIME_DIR/systemd/private), so cron starts berth
            note: the watchdog line starts berth within 5 minutes if it is not running (now too); to start it at once: /opt/berth/berth up --detach -c %s/berth.toml
            """
                .formatted(MARKER, rebootLine(), watchdogLine(), site));
    assertThat(host.crontab).isEqualTo("MAILTO=alice\n0 3 * * * backup\n");

    String block = MARKER + "\n" + rebootLine() + "\n" + watchdogLine() + "\n";
    assertThat(execute(plan))
        .startsWith(
            "0\nadded to the crontab of alice:\n    " + block.replace("\n", "\n    ").strip())
        .endsWith(
            "berth: cron starts berth at boot, as alice, and again within 5 minutes whenever it"
                + " does not answer; its log: "
                + site
                + "/.berth/log/berth.log\n");
    assertThat(host.crontab).isEqualTo("MAILTO=alice\n0 3 * * * backup\n" + block);

    host.done.clear();
    ServicePlan again = installer().install(config, DEFAULTS);
    assertThat(again.steps()).isEmpty();
    assertThat(execute(again))
        .endsWith("berth: nothing to do: the crontab of alice already starts berth at boot\n");
    assertThat(host.done).isEmpty();

    // Another config under the same name replaces berth's lines, and keeps the others.
    ServicePlan moved = installer().install(config(tmp.resolve("other"), 8080), DEFAULTS);
    assertThat(moved.steps().getFirst().planned()).startsWith("replace in the crontab of alice");
    execute(moved);
    assertThat(host.crontab)
        .startsWith(
            "MAILTO=alice\n0 3 * * * backup\n"
                + MARKER
                + "\n@reboot cd "
                + tmp.resolve("other")
                + " && ")
        .contains("\n*/5 * * * * cd " + tmp.resolve("other") + " && ")
        .hasLineCount(5);
  }

  @Test
  void theSingleRebootLineOfAnEarlierBerthIsReplacedByBothLinesAndUninstalled() throws Exception {
    host.alice(false);
    host.programs.add("crontab");
    String earlier =
        "@reboot cd " + site + " && mkdir -p x && /opt/berth/berth up -c berth.toml >> out 2>&1";
    host.crontab = "0 3 * * * backup\n" + OLD_MARKER + "\n" + earlier + "\n*/5 * * * * mine\n";

    ServicePlan plan = installer().install(config, DEFAULTS);
    assertThat(plan.steps().getFirst().planned()).startsWith("replace in the crontab of alice");
    execute(plan);
    assertThat(host.crontab)
        .isEqualTo(
            "0 3 * * * backup\n"
                + MARKER
                + "\n"
                + rebootLine()
                + "\n"
                + watchdogLine()
                + "\n*/5 * * * * mine\n");

    host.crontab = "0 3 * * * backup\n" + OLD_MARKER + "\n" + earlier + "\n*/5 * * * * mine\n";
    execute(installer().uninstall(DEFAULTS));
    assertThat(host.crontab).isEqualTo("0 3 * * * backup\n*/5 * * * * mine\n");
  }

  /** The watchdog line as sh runs it: berth up --detach only when berth ping fails. */
  @Test
  void theWatchdogLineStartsBerthOnlyWhenPingFails(@TempDir Path bin) throws Exception {
    Path log = bin.resolve("calls");
    Path launcher = bin.resolve("berth");
    Files.writeString(
        launcher,
        "#!/bin/sh\necho \"$*\" >> " + log + "\n[ \"$1\" != ping ] || exit \"$PING_EXIT\"\n");
    Files.setPosixFilePermissions(
        launcher, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    host.alice(false);
    host.programs.add("crontab");
    host.berthHome = bin;
    host.files.put(launcher, "");
    List<String> lines =
        ((ServicePlan.Crontab) installer().install(config, DEFAULTS).steps().getFirst()).changed();
    String command = lines.get(2).substring("*/5 * * * * ".length());

    for (String pingExit : List.of("0", "3")) {
      Files.deleteIfExists(log);
      ProcessBuilder sh = new ProcessBuilder("/bin/sh", "-c", command).redirectErrorStream(true);
      sh.environment().put("PING_EXIT", pingExit);
      Process process = sh.start();
      assertThat(process.waitFor()).isZero();
      String calls = Files.readString(log);
      assertThat(calls)
          .isEqualTo(
              pingExit.equals("0")
                  ? "ping -c " + site + "/berth.toml\n"
                  : "ping -c " + site + "/berth.toml\nup --detach -c " + site + "/berth.toml\n");
    }
  }

  @Test
  void cronCanBeChosenOverASystemdUserInstance() throws Exception {
    host.systemd().alice(true);
    host.programs.add("crontab");
    ServicePlan plan = installer().install(config, new Options("berth", null, true));
    assertThat(plan.steps().getFirst()).isInstanceOf(ServicePlan.Crontab.class);
    assertThat(plan.notes()).noneMatch(note -> note.startsWith("no systemd user instance"));
  }

  @Test
  void withoutCrontabARealRunFailsWithTheLinesToAddByHand() throws Exception {
    host.alice(false);
    ServicePlan plan = installer().install(config, DEFAULTS);
    assertThat(dryRun(plan))
        .contains("    " + rebootLine() + "\n    " + watchdogLine() + "\n")
        .endsWith(
            "note: a real run would fail here: crontab is not installed; add the lines above to your crontab by hand\n");
    assertThat(execute(plan))
        .isEqualTo(
            "1\nERR berth: crontab is not installed; add these lines to your crontab by hand:\n"
                + rebootLine()
                + "\n"
                + watchdogLine()
                + "\n");
    assertThat(host.done).isEmpty();
  }

  @Test
  void aHomeThatDoesNotExistCannotHoldAUserUnit() throws Exception {
    host.systemd().alice(true);
    host.dirs.remove(Path.of("/home/alice"));
    assertThat(installer().install(config, DEFAULTS).blocker().error())
        .isEqualTo(
            "your home directory (/home/alice) does not exist, so there is nowhere to put "
                + USER_UNIT
                + "; use --cron");
  }

  // ---- uninstall ----

  @Test
  void uninstallDisablesAndRemovesTheSystemUnit() throws Exception {
    host.systemd();
    execute(installer().install(config, new Options("berth", "alice", false)));
    host.done.clear();
    ServicePlan plan = installer().uninstall(DEFAULTS);
    assertThat(execute(plan)).endsWith("berth: uninstalled berth.service\n");
    assertThat(host.done)
        .containsExactly(
            "systemctl disable --now berth.service", "delete " + UNIT, "systemctl daemon-reload");

    assertThat(installer().uninstall(DEFAULTS).steps()).isEmpty();
  }

  @Test
  void uninstallRemovesTheUserUnitAndBerthsCrontabLinesOnly() throws Exception {
    host.systemd().alice(true);
    host.programs.add("crontab");
    host.crontab = "0 3 * * * backup\n";
    execute(installer().install(config, DEFAULTS));
    execute(installer().install(config, new Options("berth", null, true)));
    host.done.clear();

    ServicePlan plan = installer().uninstall(DEFAULTS);
    assertThat(plan.steps())
        .extracting(ServicePlan.Step::planned)
        .containsExactly(
            "run: systemctl --user disable --now berth.service",
            "remove " + USER_UNIT,
            "run: systemctl --user daemon-reload",
            "remove from the crontab of alice (crontab -l, then crontab - with the result):");
    execute(plan);
    assertThat(host.crontab).isEqualTo("0 3 * * * backup\n");
    assertThat(host.files).doesNotContainKey(USER_UNIT);
    assertThat(installer().uninstall(DEFAULTS).steps()).isEmpty();
  }

  @Test
  void stepsFailingStopTheRunWithOneLine() throws Exception {
    FakeHost failing =
        new FakeHost() {
          @Override
          public Result run(List<String> command, String stdin) {
            done.add(String.join(" ", command));
            return new Result(1, "Failed to enable unit: Unit file berth.service is masked.\n");
          }
        };
    failing.systemd();
    ServicePlan plan =
        new ServiceInstaller(failing).install(config, new Options("berth", "alice", false));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    assertThat(plan.execute(failing, new PrintWriter(out), new PrintWriter(err))).isEqualTo(1);
    assertThat(out.toString())
        .endsWith("    Failed to enable unit: Unit file berth.service is masked.\n");
    assertThat(err.toString()).isEqualTo("berth: systemctl daemon-reload exited with 1\n");
    assertThat(failing.done)
        .containsExactly("write " + UNIT + " rw-r--r--", "systemctl daemon-reload");
  }
}
