package dev.berth.service;

import static dev.berth.service.SystemdUnit.shell;
import static java.util.Objects.requireNonNull;

import dev.berth.config.Config;
import dev.berth.service.ServicePlan.Blocker;
import dev.berth.service.ServicePlan.Change;
import dev.berth.service.ServicePlan.Crontab;
import dev.berth.service.ServicePlan.Step;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Starting berth at boot without systemd: an {@code @reboot} line in the user's crontab, after a
 * marker comment naming the service, so that uninstall finds both lines again.
 */
final class CronInstaller {

  private final Host host;

  CronInstaller(Host host) {
    this.host = requireNonNull(host, "host");
  }

  /**
   * The plan that adds (or replaces) berth's @reboot line.
   *
   * @param asked whether the user asked for cron (--cron), rather than falling back to it
   * @param who the plan's {@link ServicePlan#who}
   * @param path the PATH berth and its apps get at boot
   * @param portNotes the notes on listeners this user cannot bind
   */
  ServicePlan install(
      Config config,
      String name,
      Path launcher,
      boolean asked,
      String who,
      String path,
      List<String> portNotes) {
    String user = host.userName();
    Path log = config.stateDir().resolve("log/berth.out");
    String command =
        "cd "
            + shell(config.file().getParent().toString())
            + " && mkdir -p "
            + shell(log.getParent().toString())
            + " && PATH="
            + shell(path)
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
    notes.addAll(portNotes);
    notes.add(
        "cron starts berth at boot only: it does not restart berth if it exits, and does not start it now"
            + " (to start it now, run the command after @reboot, with a trailing &)");
    return new ServicePlan(who, steps, notes, blocker, done);
  }

  /**
   * Adds the step that removes this service's marker and @reboot line from the user's crontab, and
   * its note, when the crontab has them.
   */
  void uninstall(String name, List<Step> steps, List<String> notes) {
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
}
