package dev.berth.service;

import dev.berth.config.Config;
import dev.berth.config.Listener;
import dev.berth.service.ServicePlan.Blocker;
import dev.berth.service.ServicePlan.Command;
import dev.berth.service.ServicePlan.RemoveFile;
import dev.berth.service.ServicePlan.Step;
import dev.berth.service.ServicePlan.WriteFile;
import java.nio.file.Path;
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
 * carried out. The units' text is {@link SystemdUnit}'s; the crontab way is {@link CronInstaller}.
 */
public final class ServiceInstaller {

  public static final int EXIT_FAILED = 1;
  public static final int EXIT_USAGE = 2;

  static final Path SYSTEM_UNITS = Path.of("/etc/systemd/system");
  static final Path SYSTEMD_RUNNING = Path.of("/run/systemd/system");
  static final Path LINGER = Path.of("/var/lib/systemd/linger");
  static final Path UNPRIVILEGED_PORT_START =
      Path.of("/proc/sys/net/ipv4/ip_unprivileged_port_start");
  static final String DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin";

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*");

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
    return new CronInstaller(host)
        .install(config, name, launcher, options.cron(), who(), path(), portNotes(config));
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
    new CronInstaller(host).uninstall(name, steps, notes);
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
    String content = SystemdUnit.system(config, launcher, host.java(), account);

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
                        + SystemdUnit.shell(config.stateDir().toString())));
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
    String content = SystemdUnit.user(config, launcher, host.java(), path());

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
              + " (usually only root may: ask your administrator, once; or use --cron instead)");
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
        .filter(listener -> !listener.isUnix() && listener.port() < start)
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
}
