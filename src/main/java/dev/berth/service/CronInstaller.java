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
 * Starting berth at boot without systemd: an {@code @reboot} line in the user's crontab that runs
 * {@code berth up --detach}, and a watchdog line that runs it again every few minutes when {@code
 * berth ping} gets no answer (berth died: killed, out of memory). Both follow a marker comment
 * naming the service, so that uninstall finds them again. A watchdog run while berth still starts
 * changes nothing: the daemon holds its state dir's lock from its first moment, and {@code up
 * --detach} says so and exits 0.
 */
final class CronInstaller {

  /** How often the watchdog line looks: a dead berth is back within this many minutes. */
  static final int WATCHDOG_MINUTES = 5;

  private static final String WATCHDOG = "*/" + WATCHDOG_MINUTES + " * * * * ";

  /** What berth prints goes to its logs (berth.out, berth.log), not to cron's mail. */
  private static final String QUIET = " >/dev/null 2>&1";

  private final Host host;

  CronInstaller(Host host) {
    this.host = requireNonNull(host, "host");
  }

  /**
   * The plan that adds (or replaces) berth's @reboot and watchdog lines.
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
    List<String> lines = lines(config, launcher, path);
    String marker = marker(name);
    List<String> block = new ArrayList<>();
    block.add(marker);
    block.addAll(lines);

    List<String> notes = new ArrayList<>();
    if (!asked) {
      notes.add(
          "no systemd user instance is reachable ($XDG_RUNTIME_DIR/systemd/private), so cron starts berth");
    }
    Blocker blocker = null;
    Optional<Path> crontab = host.program("crontab");
    List<String> table = List.of();
    if (crontab.isEmpty()) {
      blocker = byHand("crontab is not installed", lines);
    } else {
      Optional<List<String>> current = readCrontab(crontab.get());
      if (current.isEmpty()) {
        blocker = byHand("crontab -l failed: " + crontabError(crontab.get()), lines);
      } else {
        table = current.get();
      }
    }
    List<Step> steps = new ArrayList<>();
    String done;
    int at = find(table, name);
    if (at >= 0 && table.subList(at, berthLinesEnd(table, at)).equals(block)) {
      notes.add("the crontab of " + user + " already has these lines");
      done = "berth: nothing to do: the crontab of " + user + " already starts berth at boot";
    } else {
      List<String> next = new ArrayList<>(table);
      Change change;
      if (at >= 0) {
        next.subList(at, berthLinesEnd(table, at)).clear();
        next.addAll(at, block);
        change = Change.REPLACE;
      } else {
        next.addAll(block);
        change = Change.ADD;
      }
      steps.add(new Crontab(crontab.orElse(Path.of("crontab")), user, table(next), block, change));
      done =
          "berth: cron starts berth at boot, as "
              + user
              + ", and again within "
              + WATCHDOG_MINUTES
              + " minutes whenever it does not answer; its log: "
              + config.stateDir().resolve("log/berth.log");
    }
    notes.addAll(portNotes);
    notes.add(
        "the watchdog line starts berth within "
            + WATCHDOG_MINUTES
            + " minutes if it is not running (now too); to start it at once: "
            + shell(launcher.toString())
            + " up --detach -c "
            + shell(config.file().toString()));
    return new ServicePlan(who, steps, notes, blocker, done);
  }

  /** The @reboot line and the watchdog line, as the crontab gets them. */
  private List<String> lines(Config config, Path launcher, String path) {
    String berth =
        "PATH="
            + shell(path)
            + " BERTH_JAVA="
            + shell(host.java().toString())
            + " "
            + shell(launcher.toString());
    String file = " -c " + shell(config.file().toString());
    String cd = "cd " + shell(config.file().getParent().toString()) + " && ";
    String up = berth + " up --detach" + file + QUIET;
    String reboot = "@reboot " + cd + up;
    String watchdog = WATCHDOG + cd + "{ " + berth + " ping" + file + QUIET + " || " + up + "; }";
    // In a crontab, % ends the command (the rest becomes its input) unless escaped.
    return List.of(reboot.replace("%", "\\%"), watchdog.replace("%", "\\%"));
  }

  /**
   * Adds the step that removes this service's marker and the lines after it from the user's
   * crontab, and its note, when the crontab has them.
   */
  void uninstall(String name, List<Step> steps, List<String> notes) {
    Optional<Path> crontab = host.program("crontab");
    if (crontab.isPresent()) {
      List<String> table = readCrontab(crontab.get()).orElse(List.of());
      int at = find(table, name);
      if (at >= 0) {
        List<String> rest = new ArrayList<>(table);
        List<String> lines = rest.subList(at, berthLinesEnd(table, at));
        List<String> removed = List.copyOf(lines);
        lines.clear();
        steps.add(new Crontab(crontab.get(), host.userName(), table(rest), removed, Change.REMOVE));
        notes.add(
            "a berth started by these lines keeps running until it is stopped or the machine restarts");
      }
    }
  }

  /** Where this service's marker is (or the marker of an earlier berth's single line), or -1. */
  private static int find(List<String> table, String name) {
    int at = table.indexOf(marker(name));
    return at >= 0 ? at : table.indexOf(oldMarker(name));
  }

  /** Past the marker at {@code at} and berth's lines after it (an @reboot, a watchdog line). */
  private static int berthLinesEnd(List<String> table, int at) {
    int end = at + 1;
    if (end < table.size() && table.get(end).startsWith("@reboot ")) {
      end++;
    }
    if (end < table.size()
        && table.get(end).startsWith(WATCHDOG)
        && table.get(end).contains(" up --detach ")) {
      end++;
    }
    return end;
  }

  private static Blocker byHand(String reason, List<String> lines) {
    return new Blocker(
        reason + "; add these lines to your crontab by hand:\n" + String.join("\n", lines),
        reason + "; add the lines above to your crontab by hand");
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
    return "# berth service "
        + name
        + " (berth service uninstall removes this line and the two after it)";
  }

  /** The marker before berth's lines were two: still found, to replace or remove. */
  private static String oldMarker(String name) {
    return "# berth service " + name + " (berth service uninstall removes this line and the next)";
  }

  private static String table(List<String> lines) {
    return lines.isEmpty() ? "" : String.join("\n", lines) + "\n";
  }
}
