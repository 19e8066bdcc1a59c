package dev.berth.deploy;

import dev.berth.supervisor.Supervisor;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * How a deploy's steps read ({@code -----> build done 3.20s}), and the sizes, release numbers and
 * revisions in them. One place, so that a deploy, a rollback, a redeploy and {@code berth up}'s own
 * releases all say things the same way.
 */
final class DeployLines {

  private DeployLines() {}

  /** {@code -----> build done 3.20s}. */
  static String line(String step, String detail, Duration took) {
    String text = String.format(Locale.ROOT, "-----> %-8s %s", step, detail);
    return took == null ? text : text + String.format(Locale.ROOT, "  %.2fs", took.toNanos() / 1e9);
  }

  /** The supervisor's generation switch steps, as step lines. */
  static Supervisor.Steps steps(Deployer.Progress progress) {
    return (name, detail, took) -> progress.step(line(name, detail, took));
  }

  /** A git commit shortened to 12 digits, as git shows it; anything else as it is. */
  static String shortRevision(String revision) {
    if (revision.length() <= 12 || !revision.matches("[0-9a-f]{13,}(-dirty)?")) {
      return revision;
    }
    return revision.substring(0, 12) + (revision.endsWith("-dirty") ? "-dirty" : "");
  }

  static String size(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    if (bytes < 1024 * 1024) {
      return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
    }
    return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
  }

  /** Release numbers: "3, 4, 5". */
  static String numbers(List<Integer> numbers) {
    return String.join(", ", numbers.stream().map(String::valueOf).toList());
  }

  /** How long since {@code nanos}, a {@link System#nanoTime()}. */
  static Duration since(long nanos) {
    return Duration.ofNanos(System.nanoTime() - nanos);
  }
}
