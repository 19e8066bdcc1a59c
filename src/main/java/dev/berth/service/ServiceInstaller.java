package dev.berth.service;

import dev.berth.config.Config;
import dev.berth.config.Listener;
import dev.berth.service.ServicePlan.Blocker;
import dev.berth.service.ServicePlan.Change;
import dev.berth.service.ServicePlan.Command;
import dev.berth.service.ServicePlan.Crontab;
import dev.berth.service.ServicePlan.RemoveFile;
import dev.berth.service.ServicePlan.Step;
import dev.berth.service.ServicePlan.WriteFile;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Plans how berth starts at boot, as a user who knows systemd expects:
 *
 * <ul>
 *   <li>As root: a system unit {@code /etc/systemd/system/NAME.service} that runs berth as an
 *       unprivileged user, with CAP_NET_BIND_SERVICE for ports below 1024.
 *   <li>As an ordinary user with a reachable systemd user instance: a user unit in {@code
 *       ~/.config/systemd/user}; it starts at boot once lingering is enabled.
 *   <li>Otherwise (or with {@code --cron}): an {@code @reboot} line in the user's crontab.
 * </ul>
 *
 * Nothing here changes the machine: it returns a {@link ServicePlan}, which is printed (dry run) or
 * carried out.
 */
public final class ServiceInstaller {

  public static final int EXIT_FAILED = 1;
  public static final int EXIT_USAGE = 2;

  /**
   * Added to shutdown_timeout + the longest stop_timeout for systemd's TimeoutStopSec: berth waits
   * up to 5s after its SIGKILLs, up to 5s more for each instance's leader, then 1s for its event
   * loops.
   */
  static final Duration STOP_MARGIN = Duration.ofSeconds(15);

  static final Path SYSTEM_UNITS = Path.of("/etc/systemd/system");
  static final Path SYSTEMD_RUNNING = Path.of("/run/systemd/system");
  static final Path LINGER = Path.of("/var/lib/systemd/linger");
  static final Path UNPRIVILEGED_PORT_START =
      Path.of("/proc/sys/net/ipv4/ip_unprivileged_port_start");
  static final String DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin";

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*");
  private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_@%+=:,./-]+");

  /**
   * @param name the service's name: the unit is NAME.service, the crontab marker names it too
   * @param user for root: the user the service runs as (null: $SUDO_USER, else the config's owner)
   * @param cron for an ordinary user: an @reboot crontab line even where systemd could be used
   */
  public record Options(String name, String user, boolean cron) {}

  private final Host host;

  public ServiceInstaller(Host host) {
    this.host = host;
  }

  /** The plan for starting berth with this config at boot. */
  public ServicePlan install(Config config, Options options) throws ServiceException {
    String name = name(options.name());
    Path launcher = launcher();
    for (Path path : List.of(config.file(), launcher, host.java(), config.stateDir())) {
      if (path.toString().contains("\n")) {
        throw new ServiceException(
            EXIT_USAGE, "a path with a line break cannot go into a unit or crontab: " + path);
      }
    }
    if (host.uid() == 0) {
      if (options.cron()) {
        throw new ServiceException(
            EXIT_USAGE,
            "--cron is for ordinary users: as root, berth installs a systemd unit that runs as --user NAME");
      }
      return installSystemUnit(config, name, launcher, serviceUser(config, options.user()));
    }
    if (options.user() != null && !options.user().equals(host.userName())) {
      throw new ServiceException(
          EXIT_USAGE,
          "--user "
              + options.user()
              + ": only root can install a service for another user (you are "
              + host.userName()
              + ")");
    }
    if (!options.cron() && userManagerReachable()) {
      return installUserUnit(config, name, launcher);
    }
    return installCron(config, name, launcher, options.cron());
  }

  /** The plan for undoing {@link #install}: the unit, or the crontab lines, of this name. */
  public ServicePlan uninstall(Options options) throws ServiceException {
    String name = name(options.name());
    String unit = name + ".service";
    List<Step> steps = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    Blocker blocker = null;
    String who = who();
    if (host.uid() == 0) {
      Path file = SYSTEM_UNITS.resolve(unit);
      if (host.exists(file)) {
        steps.add(new Command(List.of("systemctl", "disable", "--now", unit)));
        steps.add(new RemoveFile(file));
        steps.add(new Command(List.of("systemctl", "daemon-reload")));
        blocker = systemdBlocker();
      } else {
        notes.add(file + " does not exist: nothing to do");
      }
      return new ServicePlan(who, steps, notes, blocker, "berth: uninstalled " + unit);
    }
    Optional<Path> userUnit = userUnitDir().map(dir -> dir.resolve(unit)).filter(host::exists);
    if (userUnit.isPresent()) {
      steps.add(new Command(List.of("systemctl", "--user", "disable", "--now", unit)));
      steps.add(new RemoveFile(userUnit.get()));
      steps.add(new Command(List.of("systemctl", "--user", "daemon-reload")));
      if (!userManagerReachable()) {
        blocker =
            new Blocker(
                "no systemd user instance is reachable ($XDG_RUNTIME_DIR/systemd/private), so "
                    + unit
                    + " cannot be stopped and disabled; run this from a login session");
      }
    }
    Optional<Path> crontab = host.program("crontab");
    if (crontab.isPresent()) {
      List<String> table = readCrontab(crontab.get()).orElse(List.of());
      int at = table.indexOf(marker(name));
      if (at >= 0) {
        List<String> removed = new ArrayList<>(List.of(table.get(at)));
        List<String> rest = new ArrayList<>(table);
        rest.remove(at);
        if (at < rest.size() && rest.get(at).startsWith("@reboot ")) {
          removed.add(rest.remove(at));
        }
        steps.add(new Crontab(crontab.get(), host.userName(), table(rest), removed, Change.REMOVE));
        notes.add(
            "a berth started by that line keeps running until it is stopped or the machine restarts");
      }
    }
    if (steps.isEmpty()) {
      notes.add(
          "nothing installed as "
              + name
              + " for "
              + host.userName()
              + ": no "
              + userUnitDir()
                  .map(dir -> dir.resolve(unit).toString())
                  .orElse("~/.config/systemd/user/" + unit)
              + ", and no such line in the crontab");
    }
    return new ServicePlan(who, steps, notes, blocker, "berth: uninstalled " + name);
  }

  // ---- root: a system unit ----

  private ServicePlan installSystemUnit(
      Config config, String name, Path launcher, ServiceUser user) {
    Host.Account account = user.account();
    String unit = name + ".service";
    List<String> lines = new ArrayList<>();
    lines.add("# Written by berth service install; berth service uninstall removes it.");
    lines.add("[Unit]");
    lines.add("Description=" + specifiers("berth: " + config.file()));
    lines.add("Wants=network-online.target");
    lines.add("After=network-online.target");
    lines.add("");
    lines.add("[Service]");
    lines.add("Type=simple");
    lines.add("User=" + account.name());
    lines.add("Group=" + account.group());
    serviceLines(lines, config, launcher, false);
    lines.add("# Ports below 1024 without root, and no other privilege.");
    lines.add("AmbientCapabilities=CAP_NET_BIND_SERVICE");
    lines.add("CapabilityBoundingSet=CAP_NET_BIND_SERVICE");
    lines.add("NoNewPrivileges=true");
    stopLines(lines, config);
    lines.add("");
    lines.add("[Install]");
    lines.add("WantedBy=multi-user.target");
    String content = String.join("\n", lines) + "\n";

    List<String> notes = new ArrayList<>();
    List<Step> steps =
        unitSteps(SYSTEM_UNITS.resolve(unit), content, List.of("systemctl"), unit, notes);
    if (user.source() != null) {
      notes.add(
          0,
          "runs as "
              + account.name()
              + " ("
              + user.source()
              + "; choose another with --user NAME)");
    }
    host.owner(config.stateDir())
        .filter(owner -> !owner.equals(account.name()))
        .ifPresent(
            owner ->
                notes.add(
                    "state_dir "
                        + config.stateDir()
                        + " belongs to "
                        + owner
                        + ", but berth will run as "
                        + account.name()
                        + ": chown -R "
                        + account.name()
                        + ": "
                        + shell(config.stateDir().toString())));
    return new ServicePlan(
        who(),
        steps,
        notes,
        systemdBlocker(),
        "berth: installed "
            + unit
            + ": it runs now as "
            + account.name()
            + " and starts at boot. Status: systemctl"
            + " status "
            + unit
            + "; logs: journalctl -u "
            + unit);
  }

  private Blocker systemdBlocker() {
    if (host.program("systemctl").isEmpty()) {
      return new Blocker("systemctl is not installed: berth service needs systemd as root");
    }
    if (!host.exists(SYSTEMD_RUNNING)) {
      return new Blocker(
          "systemd is not running on this host (no "
              + SYSTEMD_RUNNING
              + "), so no unit can be enabled");
    }
    return null;
  }

  private record ServiceUser(Host.Account account, String source) {}

  /** --user, else $SUDO_USER (or $DOAS_USER), else the config file's owner; never root. */
  private ServiceUser serviceUser(Config config, String option) throws ServiceException {
    String name = option;
    String source = null;
    for (String variable : List.of("SUDO_USER", "DOAS_USER")) {
      String value = host.env().get(variable);
      if (name == null && value != null && !value.isBlank() && !value.equals("root")) {
        name = value;
        source = "from $" + variable;
      }
    }
    if (name == null) {
      Optional<String> owner = host.owner(config.file()).filter(o -> !o.equals("root"));
      if (owner.isPresent()) {
        name = owner.get();
        source = "the owner of " + config.file();
      }
    }
    if (name == null) {
      throw new ServiceException(
          EXIT_USAGE,
          "as root, berth installs a unit that runs berth as an unprivileged user: say which with --user NAME");
    }
    String what = option != null ? "--user " + name : name + " (" + source + ")";
    Host.Account account =
        host.account(name)
            .orElseThrow(() -> new ServiceException(EXIT_USAGE, what + ": no such user"));
    if (account.uid() == 0) {
      throw new ServiceException(
          EXIT_USAGE,
          what
              + ": has uid 0; the service runs as an unprivileged user: say which with --user NAME");
    }
    return new ServiceUser(account, source);
  }

  // ---- an ordinary user: a systemd user unit ----

  private boolean userManagerReachable() {
    String runtime = host.env().get("XDG_RUNTIME_DIR");
    return host.program("systemctl").isPresent()
        && host.exists(SYSTEMD_RUNNING)
        && runtime != null
        && runtime.startsWith("/")
        && host.exists(Path.of(runtime, "systemd", "private"));
  }

  /** ~/.config/systemd/user (or under $XDG_CONFIG_HOME), or empty without a home directory. */
  private Optional<Path> userUnitDir() {
    String config = host.env().get("XDG_CONFIG_HOME");
    if (config != null && config.startsWith("/")) {
      return Optional.of(Path.of(config, "systemd", "user"));
    }
    return home().map(home -> home.resolve(".config/systemd/user"));
  }

  private Optional<Path> home() {
    String home = host.env().get("HOME");
    if (home != null && home.startsWith("/")) {
      return Optional.of(Path.of(home));
    }
    return host.account(host.userName()).map(Host.Account::home);
  }

  private ServicePlan installUserUnit(Config config, String name, Path launcher) {
    String unit = name + ".service";
    String user = host.userName();
    List<String> lines = new ArrayList<>();
    lines.add("# Written by berth service install; berth service uninstall removes it.");
    lines.add("[Unit]");
    lines.add("Description=" + specifiers("berth: " + config.file()));
    lines.add("");
    lines.add("[Service]");
    lines.add("Type=simple");
    serviceLines(lines, config, launcher, true);
    stopLines(lines, config);
    lines.add("");
    lines.add("[Install]");
    lines.add("WantedBy=default.target");
    String content = String.join("\n", lines) + "\n";

    List<String> notes = new ArrayList<>();
    Optional<Path> dir = userUnitDir();
    Blocker blocker = null;
    Path file = dir.orElse(Path.of("~/.config/systemd/user")).resolve(unit);
    if (home().filter(host::exists).isEmpty() && host.env().get("XDG_CONFIG_HOME") == null) {
      blocker =
          new Blocker(
              "your home directory ("
                  + home().map(Path::toString).orElse("none")
                  + ") does not exist,"
                  + " so there is nowhere to put "
                  + file
                  + "; use --cron");
    }
    List<Step> steps = unitSteps(file, content, List.of("systemctl", "--user"), unit, notes);
    notes.addAll(portNotes(config));
    boolean lingers = host.exists(LINGER.resolve(user));
    if (lingers) {
      notes.add(
          "lingering is enabled for "
              + user
              + ", so the systemd user instance, and berth, start at boot");
    } else {
      notes.add(
          "to start at boot, before "
              + user
              + " logs in (and to keep running after logout): loginctl"
              + " enable-linger "
              + user
              + " (on many systems this needs root; or use --cron instead)");
    }
    return new ServicePlan(
        who(),
        steps,
        notes,
        blocker,
        "berth: installed "
            + unit
            + " for "
            + user
            + ": it runs now"
            + (lingers ? " and starts at boot" : "")
            + ". Status: systemctl --user status "
            + unit
            + "; logs: journalctl --user -u "
            + unit);
  }

  // ---- both units ----

  /**
   * WorkingDirectory, environment and ExecStart. A user unit gets the user's PATH, so that apps
   * find what they find in the user's shell (~/.local/bin, a virtualenv); a system unit keeps
   * systemd's PATH, as root's may point into /root, which the service user cannot read.
   */
  private void serviceLines(List<String> lines, Config config, Path launcher, boolean userPath) {
    lines.add("WorkingDirectory=" + specifiers(config.file().getParent().toString()));
    lines.add(environment("BERTH_JAVA", host.java().toString()));
    if (userPath) {
      lines.add(environment("PATH", path()));
    }
    lines.add("ExecStart=" + exec(launcher.toString(), "up", "-c", config.file().toString()));
  }

  private static void stopLines(List<String> lines, Config config) {
    lines.add(
        "# berth stops its apps itself on SIGTERM: shutdown_timeout, then each app's stop_timeout.");
    lines.add("# systemd kills whatever is left only after TimeoutStopSec.");
    lines.add("KillMode=mixed");
    lines.add("TimeoutStopSec=" + stopTimeout(config).toSeconds() + "s");
    lines.add("Restart=on-failure");
    lines.add("RestartSec=5s");
    lines.add("# Exit code 2 is a bad config: restarting would not help.");
    lines.add("RestartPreventExitStatus=2");
  }

  /** shutdown_timeout + the longest stop_timeout of the apps berth runs + {@link #STOP_MARGIN}. */
  static Duration stopTimeout(Config config) {
    Duration longest =
        config.apps().values().stream()
            .filter(app -> !app.external())
            .map(app -> app.run().stopTimeout())
            .max(Duration::compareTo)
            .orElse(Duration.ZERO);
    Duration total = config.shutdownTimeout().plus(longest).plus(STOP_MARGIN);
    return Duration.ofSeconds((total.toMillis() + 999) / 1000);
  }

  /**
   * Writes the unit (unless it is there already, unchanged), reloads systemd, enables and starts
   * it; a unit that replaced a different one is restarted, so that the new one takes effect.
   */
  private List<Step> unitSteps(
      Path file, String content, List<String> systemctl, String unit, List<String> notes) {
    Optional<String> existing = host.read(file);
    List<Step> steps = new ArrayList<>();
    if (existing.isPresent() && existing.get().equals(content)) {
      notes.add(file + " is already installed, unchanged");
      steps.add(new Command(concat(systemctl, "enable", "--now", unit)));
      return steps;
    }
    steps.add(new WriteFile(file, content, "rw-r--r--", existing.isPresent()));
    steps.add(new Command(concat(systemctl, "daemon-reload")));
    if (existing.isPresent()) {
      steps.add(new Command(concat(systemctl, "enable", unit)));
      steps.add(new Command(concat(systemctl, "restart", unit)));
    } else {
      steps.add(new Command(concat(systemctl, "enable", "--now", unit)));
    }
    return steps;
  }

  // ---- an ordinary user without systemd: crontab ----

  private ServicePlan installCron(Config config, String name, Path launcher, boolean asked) {
    String user = host.userName();
    Path log = config.stateDir().resolve("log/berth.out");
    String command =
        "cd "
            + shell(config.file().getParent().toString())
            + " && mkdir -p "
            + shell(log.getParent().toString())
            + " && PATH="
            + shell(path())
            + " BERTH_JAVA="
            + shell(host.java().toString())
            + " "
            + shell(launcher.toString())
            + " up -c "
            + shell(config.file().toString())
            + " >> "
            + shell(log.toString())
            + " 2>&1";
    // In a crontab, % ends the command (the rest becomes its input) unless escaped.
    String line = "@reboot " + command.replace("%", "\\%");
    String marker = marker(name);

    List<String> notes = new ArrayList<>();
    if (!asked) {
      notes.add(
          "no systemd user instance is reachable ($XDG_RUNTIME_DIR/systemd/private), so cron starts berth");
    }
    Blocker blocker = null;
    Optional<Path> crontab = host.program("crontab");
    List<String> table = List.of();
    if (crontab.isEmpty()) {
      blocker = byHand("crontab is not installed", line);
    } else {
      Optional<List<String>> current = readCrontab(crontab.get());
      if (current.isEmpty()) {
        blocker = byHand("crontab -l failed: " + crontabError(crontab.get()), line);
      } else {
        table = current.get();
      }
    }
    List<Step> steps = new ArrayList<>();
    String done;
    if (table.contains(line)) {
      notes.add("the crontab of " + user + " already has this line: " + line);
      done = "berth: nothing to do: the crontab of " + user + " already starts berth at boot";
    } else {
      List<String> next = new ArrayList<>(table);
      int at = next.indexOf(marker);
      Change change;
      if (at >= 0 && at + 1 < next.size() && next.get(at + 1).startsWith("@reboot ")) {
        next.set(at + 1, line);
        change = Change.REPLACE;
      } else {
        next.add(marker);
        next.add(line);
        change = Change.ADD;
      }
      steps.add(
          new Crontab(
              crontab.orElse(Path.of("crontab")),
              user,
              table(next),
              List.of(marker, line),
              change));
      done = "berth: berth starts at the next boot, as " + user + "; its output goes to " + log;
    }
    notes.addAll(portNotes(config));
    notes.add(
        "cron starts berth at boot only: it does not restart berth if it exits, and does not start it now"
            + " (to start it now, run the command after @reboot, with a trailing &)");
    return new ServicePlan(who(), steps, notes, blocker, done);
  }

  private static Blocker byHand(String reason, String line) {
    return new Blocker(
        reason + "; add this line to your crontab by hand: " + line,
        reason + "; add the line above to your crontab by hand");
  }

  /** The crontab's lines; empty when the user has none yet; absent when crontab -l fails. */
  private Optional<List<String>> readCrontab(Path crontab) {
    try {
      Host.Result result = host.run(List.of(crontab.toString(), "-l"), null);
      if (result.exit() == 0) {
        return Optional.of(result.output().lines().toList());
      }
      if (result.output().toLowerCase(java.util.Locale.ROOT).contains("no crontab for")) {
        return Optional.of(List.of());
      }
    } catch (IOException e) {
      // Reported by crontabError.
    }
    return Optional.empty();
  }

  private String crontabError(Path crontab) {
    try {
      return host.run(List.of(crontab.toString(), "-l"), null)
          .output()
          .strip()
          .lines()
          .findFirst()
          .orElse("no output");
    } catch (IOException e) {
      return e.getMessage();
    }
  }

  private static String marker(String name) {
    return "# berth service " + name + " (berth service uninstall removes this line and the next)";
  }

  private static String table(List<String> lines) {
    return lines.isEmpty() ? "" : String.join("\n", lines) + "\n";
  }

  // ---- shared ----

  /** Listeners an ordinary user cannot bind: below ip_unprivileged_port_start (1024 by default). */
  private List<String> portNotes(Config config) {
    int start =
        host.read(UNPRIVILEGED_PORT_START)
            .map(String::strip)
            .filter(s -> s.matches("\\d{1,5}"))
            .map(Integer::parseInt)
            .orElse(1024);
    return config.listeners().stream()
        .filter(listener -> listener.port() < start)
        .map(
            listener ->
                "listener "
                    + address(listener)
                    + ": ports below "
                    + start
                    + " need root on this host, so berth"
                    + " would fail to bind it; install as root (sudo berth service install) or use a port from "
                    + start
                    + " up")
        .toList();
  }

  private static String address(Listener listener) {
    String host = listener.host();
    return (host.isEmpty() ? "*" : host.contains(":") ? "[" + host + "]" : host)
        + ":"
        + listener.port();
  }

  private String who() {
    return host.uid() == 0 ? "root" : host.userName() + " (uid " + host.uid() + ")";
  }

  private static String name(String name) throws ServiceException {
    String plain =
        name == null
            ? "berth"
            : name.endsWith(".service") ? name.substring(0, name.length() - 8) : name;
    if (!NAME.matcher(plain).matches() || plain.length() > 200) {
      throw new ServiceException(
          EXIT_USAGE,
          "--name "
              + name
              + ": expected letters, digits, '-', '_' or '.', starting with a letter or digit");
    }
    return plain;
  }

  private Path launcher() throws ServiceException {
    return host.berthHome()
        .map(home -> home.resolve("berth"))
        .filter(host::exists)
        .orElseThrow(
            () ->
                new ServiceException(
                    EXIT_FAILED,
                    "cannot tell where berth is installed ($BERTH_HOME is not set): run this through the berth launcher"));
  }

  /** The installing user's PATH (absolute entries), so that apps find the same programs at boot. */
  private String path() {
    String path = host.env().get("PATH");
    String kept =
        path == null
            ? ""
            : Arrays.stream(path.split(":"))
                .filter(dir -> dir.startsWith("/") && !dir.contains("\n"))
                .distinct()
                .collect(Collectors.joining(":"));
    return kept.isEmpty() ? DEFAULT_PATH : kept;
  }

  private static List<String> concat(List<String> head, String... tail) {
    List<String> all = new ArrayList<>(head);
    all.addAll(List.of(tail));
    return all;
  }

  /** A value where systemd expands specifiers (%n, %h, ...): a literal % is %%. */
  static String specifiers(String value) {
    return value.replace("%", "%%");
  }

  /** An Environment= line, quoted when the value has spaces, quotes or backslashes. */
  static String environment(String name, String value) {
    String assignment = specifiers(name + "=" + value);
    return "Environment=" + (PLAIN.matcher(assignment).matches() ? assignment : quoted(assignment));
  }

  /** An ExecStart= command line: each word quoted when needed, % and $ escaped. */
  static String exec(String... words) {
    return Arrays.stream(words)
        .map(word -> specifiers(word).replace("$", "$$"))
        .map(word -> PLAIN.matcher(word).matches() ? word : quoted(word))
        .collect(Collectors.joining(" "));
  }

  private static String quoted(String value) {
    return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  /** A word for sh: as it is when plain, else in single quotes. */
  static String shell(String word) {
    return PLAIN.matcher(word).matches() ? word : "'" + word.replace("'", "'\\''") + "'";
  }
}
