package dev.berth.deploy;

import static dev.berth.deploy.DeployLines.line;
import static dev.berth.deploy.DeployLines.numbers;
import static dev.berth.deploy.DeployLines.since;
import static dev.berth.deploy.DeployLines.steps;
import static java.util.Objects.requireNonNull;

import dev.berth.config.App;
import dev.berth.supervisor.Supervisor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * {@code berth rollback}: an earlier release chosen, its recorded {@code env set} variables stored
 * again, and its code run through a deploy's start / switch / drain flow, or by a rolling restart
 * when its code runs already (over config releases). Apart from {@link Deployer}, which makes
 * releases, because a rollback only chooses among them and has cases of its own.
 */
final class Rollback {

  private final Supervisor supervisor;
  private final DeployOutcomes outcomes;

  Rollback(Supervisor supervisor, DeployOutcomes outcomes) {
    this.supervisor = requireNonNull(supervisor, "supervisor");
    this.outcomes = requireNonNull(outcomes, "outcomes");
  }

  /**
   * Runs the app's code of an earlier release: the same start / switch / drain flow, without a
   * build or release phase (the release was built, and its migrations ran, when it was deployed).
   * The release phase it does not run is said: the newer release's migrations stay applied.
   *
   * @param releases the app's
   * @param wanted the release, or empty for the newest one before the current one
   */
  Deployer.Result run(
      App definition, Releases releases, OptionalInt wanted, Deployer.Progress progress) {
    requireNonNull(definition, "definition");
    requireNonNull(releases, "releases");
    requireNonNull(wanted, "wanted");
    requireNonNull(progress, "progress");
    String name = definition.name();
    long begun = System.nanoTime();
    OptionalInt current = releases.current();
    List<Releases.Release> all = releases.list();
    int target;
    if (wanted.isPresent()) {
      target = wanted.getAsInt();
      if (all.stream().noneMatch(r -> r.number() == target)) {
        return Deployer.Result.failed(
            "rollback of "
                + name
                + ": no release "
                + target
                + (all.isEmpty()
                    ? " (it has none)"
                    : " (it has: "
                        + numbers(all.stream().map(Releases.Release::number).toList())
                        + ")"));
      }
    } else {
      int below = current.isPresent() ? current.getAsInt() : Integer.MAX_VALUE;
      Optional<Releases.Release> previous =
          all.stream().filter(r -> r.number() < below).reduce((a, b) -> b);
      if (previous.isEmpty()) {
        return Deployer.Result.failed(
            "rollback of "
                + name
                + ": no release before "
                + (current.isPresent() ? "release " + current.getAsInt() : "the first deploy")
                + " to go back to");
      }
      target = previous.get().number();
    }
    if (current.isPresent() && current.getAsInt() == target) {
      return Deployer.Result.failed(
          "rollback of " + name + ": release " + target + " is current already");
    }
    try {
      progress.step(
          line(
              "rollback",
              "to release "
                  + target
                  + (current.isPresent() ? " (from release " + current.getAsInt() + ")" : ""),
              null));
      App app = Deployer.forRelease(definition, releases.dir(target));
      ConfigReleases.EnvRestore env =
          ConfigReleases.EnvRestore.of(releases, target, supervisor.storedEnvironment(name));
      if (sameCode(name, releases.dir(target))) {
        return sameCode(name, releases, target, env, progress, begun);
      }
      if (app.deploy().release() != null) {
        // What the newer release migrated stays so: the old code may not run on it.
        progress.step(
            line(
                "release",
                "not run again: "
                    + app.deploy().release()
                    + " ("
                    + (current.isPresent()
                        ? "release " + current.getAsInt() + "'s"
                        : "the running code's")
                    + " migrations stay applied; to undo them, run the backwards migration"
                    + " with berth run first)",
                null));
      }
      ReleaseOwner.ownedBy(releases.dir(target), supervisor.appUser(app));
      progress.step(line("env", env.describe(), null));
      env.apply(supervisor, name);
      Optional<String> failure =
          supervisor.replaceGeneration(app, "release " + target, steps(progress));
      if (failure.isPresent()) {
        env.undo(supervisor, name);
        return outcomes.failed(name, "rollback", target, false, releases, failure.get());
      }
      releases.markCurrent(target);
    } catch (DeployException e) {
      return outcomes.failed(name, "rollback", target, false, releases, e.describe());
    } catch (IOException | RuntimeException e) {
      return outcomes.failed(
          name, "rollback", target, false, releases, String.valueOf(e.getMessage()));
    }
    String done = name + " release " + target + " is current";
    progress.step(line("done", done, since(begun)));
    outcomes.appLog(name, "rollback: " + done);
    outcomes.say("berth: rollback: " + done);
    return Deployer.Result.done(target);
  }

  /** Whether the app's instances run from {@code dir} now. */
  private boolean sameCode(String name, Path dir) {
    return supervisor.oneOffs().dir(name).toAbsolutePath().normalize().equals(dir.normalize());
  }

  /**
   * A rollback to a release whose code runs already (over {@code berth env set} releases): its env
   * back, then a rolling restart applies it, as {@code env set} did. No new generation: the same
   * code from the same directory needs none, and a rolling restart replaces the instances one at a
   * time as the change it undoes did.
   */
  private Deployer.Result sameCode(
      String name,
      Releases releases,
      int target,
      ConfigReleases.EnvRestore env,
      Deployer.Progress progress,
      long begun)
      throws IOException {
    progress.step(
        line("code", "release " + releases.code(target) + "'s, which runs already", null));
    progress.step(line("env", env.describe(), null));
    env.apply(supervisor, name);
    releases.markCurrent(target);
    String done = name + " release " + target + " is current";
    if (env.changed()) {
      Optional<String> failure =
          supervisor.restartApp(name, step -> progress.step(line("restart", step, null)));
      if (failure.isPresent()) {
        String message = "rollback of " + name + ": " + done + ", but " + failure.get();
        outcomes.appLog(name, message.lines().findFirst().orElse(message));
        return Deployer.Result.failed(message);
      }
    }
    progress.step(line("done", done, since(begun)));
    outcomes.appLog(name, "rollback: " + done + " (env " + env.describe() + ")");
    outcomes.say("berth: rollback: " + done);
    return Deployer.Result.done(target);
  }
}
