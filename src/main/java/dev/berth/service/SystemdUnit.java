package dev.berth.service;

import dev.berth.config.App;
import dev.berth.config.Config;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The text of berth's systemd units (a system unit for root, a user unit for an ordinary user), and
 * the quoting its lines, and the crontab's sh line, need.
 */
final class SystemdUnit {

  /**
   * Added to shutdown_timeout + the longest stop_timeout for systemd's TimeoutStopSec: berth waits
   * up to 5s after its SIGKILLs, up to 5s more for each instance's leader, then 1s for its event
   * loops.
   */
  private static final Duration STOP_MARGIN = Duration.ofSeconds(15);

  private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_@%+=:,./-]+");

  private SystemdUnit() {}

  /** A system unit running berth as {@code account}, with no privilege but low ports. */
  static String system(Config config, Path launcher, Path java, Host.Account account) {
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
    serviceLines(lines, config, launcher, java, null);
    lines.add("# Ports below 1024 without root, and no other privilege.");
    lines.add("AmbientCapabilities=CAP_NET_BIND_SERVICE");
    lines.add("CapabilityBoundingSet=CAP_NET_BIND_SERVICE");
    lines.add("NoNewPrivileges=true");
    stopLines(lines, config);
    lines.add("");
    lines.add("[Install]");
    lines.add("WantedBy=multi-user.target");
    return String.join("\n", lines) + "\n";
  }

  /** A user unit, with the installing user's {@code path} as its PATH. */
  static String user(Config config, Path launcher, Path java, String path) {
    List<String> lines = new ArrayList<>();
    lines.add("# Written by berth service install; berth service uninstall removes it.");
    lines.add("[Unit]");
    lines.add("Description=" + specifiers("berth: " + config.file()));
    lines.add("");
    lines.add("[Service]");
    lines.add("Type=simple");
    serviceLines(lines, config, launcher, java, path);
    stopLines(lines, config);
    lines.add("");
    lines.add("[Install]");
    lines.add("WantedBy=default.target");
    return String.join("\n", lines) + "\n";
  }

  /**
   * WorkingDirectory, environment and ExecStart. A user unit gets the user's PATH, so that apps
   * find what they find in the user's shell (~/.local/bin, a virtualenv); a system unit keeps
   * systemd's PATH (path null), as root's may point into /root, which the service user cannot read.
   */
  private static void serviceLines(
      List<String> lines, Config config, Path launcher, Path java, String path) {
    lines.add("WorkingDirectory=" + specifiers(config.file().getParent().toString()));
    lines.add(environment("BERTH_JAVA", java.toString()));
    if (path != null) {
      lines.add(environment("PATH", path));
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
            .flatMap(
                app ->
                    Stream.concat(
                            Stream.of("web"),
                            app.run().processes().stream().map(App.ProcessType::name))
                        .map(app::stopTimeout))
            .max(Duration::compareTo)
            .orElse(Duration.ZERO);
    Duration total = config.shutdownTimeout().plus(longest).plus(STOP_MARGIN);
    return Duration.ofSeconds((total.toMillis() + 999) / 1000);
  }

  /** A value where systemd expands specifiers (%n, %h, ...): a literal % is %%. */
  private static String specifiers(String value) {
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
