package dev.berth.deploy;

import static java.util.Objects.requireNonNull;

import dev.berth.config.App;
import dev.berth.supervisor.Overrides;
import dev.berth.supervisor.Supervisor;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeSet;

/**
 * Config changes as releases, as Heroku's {@code config:set} makes "v8 Set FOO config vars": {@code
 * berth env set/unset} makes a release of kind config that runs the code of the release that runs
 * (a symlink to its directory, {@link Releases#runCodeOf}), with the variables in force recorded
 * ({@link ReleaseEnv}) and what changed by name only. A rollback puts back the recorded variables
 * of the release it goes back to ({@link EnvRestore}).
 */
public final class ConfigReleases {

  private final Path stateDir;

  ConfigReleases(Path stateDir) {
    this.stateDir = requireNonNull(stateDir, "stateDir");
  }

  /**
   * What changed from {@code from} to {@code to}, names only (values are often secrets): {@code
   * "set DATABASE_URL, SECRET; unset DEBUG"}, names sorted; "" when nothing did.
   */
  public static String changes(Map<String, String> from, Map<String, String> to) {
    TreeSet<String> set = new TreeSet<>();
    to.forEach(
        (name, value) -> {
          if (!value.equals(from.get(name))) {
            set.add(name);
          }
        });
    TreeSet<String> unset = new TreeSet<>(from.keySet());
    unset.removeAll(to.keySet());
    List<String> parts = new ArrayList<>();
    if (!set.isEmpty()) {
      parts.add("set " + String.join(", ", set));
    }
    if (!unset.isEmpty()) {
      parts.add("unset " + String.join(", ", unset));
    }
    return String.join("; ", parts);
  }

  /** The {@code berth env set} variables in force for the app now: what a new release records. */
  Map<String, String> inForce(String app) {
    return new Overrides(stateDir.resolve("overrides")).env(app);
  }

  /** A config release made: its number, and the releases pruned to make room. */
  public record Made(int number, List<Integer> pruned) {}

  /**
   * Records a config release on top of the app's current one: the same code, {@code env} as the
   * variables in force, {@code changes} as what changed, made current; then prunes beyond {@code
   * keep_releases}. Empty when the app has no current release (nothing to run the code of).
   *
   * @param releaseSeconds how long the release phase took with the new variables, or null when it
   *     did not run (skipped): the code's release then counts as the one that ran
   */
  Optional<Made> record(
      App definition, Map<String, String> env, String changes, Double releaseSeconds)
      throws IOException {
    requireNonNull(env, "env");
    requireNonNull(changes, "changes");
    Releases releases = new Releases(stateDir, definition.name());
    OptionalInt current = releases.current();
    if (current.isEmpty()) {
      return Optional.empty();
    }
    int base = current.getAsInt();
    Optional<Releases.Release> was = releases.find(base);
    int number = releases.next();
    int code = releases.code(base);
    try {
      releases.runCodeOf(number, base);
      releases.env().record(number, env);
      // Source, revision, build and fingerprint are the code's: berth up sees the folder's copy
      // unchanged, and runs no phase the code already ran.
      releases.record(
          new Releases.Release(
              number,
              Instant.now(),
              was.map(Releases.Release::source).orElse("release " + code),
              was.map(Releases.Release::revision).orElse(null),
              definition.definitionHash(),
              was.map(Releases.Release::buildSeconds).orElse(null),
              releaseSeconds != null
                  ? releaseSeconds
                  : was.map(Releases.Release::releaseSeconds).orElse(null),
              was.map(Releases.Release::fingerprint).orElse(null),
              Releases.Kind.CONFIG,
              code,
              changes));
      releases.markCurrent(number);
    } catch (IOException | RuntimeException e) {
      releases.markCurrent(base);
      releases.discard(number);
      throw e;
    }
    return Optional.of(new Made(number, releases.prune(definition.deploy().keepReleases())));
  }

  /**
   * What a rollback to release {@code target} does with the stored variables: puts back the ones
   * recorded with it, or, for a release recorded before berth recorded them, leaves them as they
   * are.
   *
   * @param recorded the target's variables, empty when it has none recorded
   * @param before the variables stored when the rollback began
   * @param names what putting them back changes, names only ("" when nothing)
   */
  record EnvRestore(
      int target,
      Optional<Map<String, String>> recorded,
      Map<String, String> before,
      String names) {

    static EnvRestore of(Releases releases, int target, Map<String, String> before) {
      Optional<Map<String, String>> recorded = releases.env().of(target);
      return new EnvRestore(
          target,
          recorded,
          Map.copyOf(before),
          recorded.map(env -> ConfigReleases.changes(before, env)).orElse(""));
    }

    /** Whether the stored variables change. */
    boolean changed() {
      return !names.isEmpty();
    }

    /** What the rollback says about the env. */
    String describe() {
      if (recorded.isEmpty()) {
        return "left as it is: release "
            + target
            + " has no env record (made before berth recorded them)";
      }
      return changed()
          ? "restored to release " + target + "'s (" + names + ")"
          : "unchanged (release " + target + "'s is the one in force)";
    }

    /** Stores the target's variables, if they differ. */
    void apply(Supervisor supervisor, String app) throws IOException {
      if (changed()) {
        supervisor.restoreEnvironment(app, recorded.get());
      }
    }

    /** Puts back the variables stored before {@link #apply}: the rollback did not happen. */
    void undo(Supervisor supervisor, String app) {
      if (!changed()) {
        return;
      }
      try {
        supervisor.restoreEnvironment(app, before);
      } catch (IOException | RuntimeException e) {
        System.getLogger(ConfigReleases.class.getName())
            .log(
                System.Logger.Level.WARNING,
                "cannot put back the env of " + app + ": " + e.getMessage());
      }
    }
  }
}
