package dev.berth.deploy;

import static java.util.Objects.requireNonNull;

import dev.berth.logs.Logs;
import java.io.IOException;
import java.util.function.Consumer;

/**
 * Where the end of a deploy, rollback or redeploy is told: a line in the app's log and in berth's
 * own output; a failed one's release removed, and the running version said to keep serving. Shared
 * by {@link Deployer} and {@link Rollback} so that both end in the same words.
 */
final class DeployOutcomes {

  private static final System.Logger LOG = System.getLogger(DeployOutcomes.class.getName());

  private final Logs logs;
  private final Consumer<String> say;

  /**
   * @param say berth's own output (a line per outcome)
   */
  DeployOutcomes(Logs logs, Consumer<String> say) {
    this.logs = requireNonNull(logs, "logs");
    this.say = requireNonNull(say, "say");
  }

  /** A line of berth's in the app's log, beside its output. */
  void appLog(String app, String line) {
    try {
      logs.stream(app).append(Logs.BERTH, line);
    } catch (IllegalArgumentException e) {
      // No log for such a name: berth's own output has the line.
    }
  }

  /** A line in berth's own output. */
  void say(String line) {
    say.accept(line);
  }

  /**
   * An operation failed before the switch, or the switch was refused: said in both places.
   *
   * @param what "deploy", "rollback" or "redeploy"
   * @param number the release it was about, or 0
   * @param made whether the release was made by this operation (it is then removed)
   */
  Deployer.Result failed(
      String name, String what, int number, boolean made, Releases releases, String why) {
    if (made) {
      try {
        releases.discard(number);
        Releases.delete(releases.dir(number).resolveSibling(Releases.INCOMING + number));
      } catch (IOException e) {
        LOG.log(
            System.Logger.Level.WARNING,
            "cannot remove failed release " + number + " of " + name + ": " + e.getMessage());
      }
    }
    String message =
        what
            + " of "
            + name
            + (number > 0 ? " (release " + number + ")" : "")
            + " failed, the running version keeps serving: "
            + why;
    appLog(name, message.lines().findFirst().orElse(message));
    say.accept("berth: " + message);
    return Deployer.Result.failed(message);
  }
}
