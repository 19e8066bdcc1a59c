package dev.berth.supervisor;

import static java.util.Objects.requireNonNull;

import dev.berth.config.App;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * {@code berth restart}'s order over the instances it selected: one at a time, each in the way its
 * state and its type's rollout ask for. Kept apart from the registry in {@link Supervisor}, which
 * only picks the instances, so that what a restart does to each one reads in one place.
 */
final class RollingRestart {

  /**
   * Restarts each instance in turn: a start-first one gets a successor that must be ready before it
   * takes over (the old one drains and stops), a stop-first one ({@link StopFirstRestart}) stops
   * then starts; a stopped one stays stopped, a FATAL or waiting one is started. Stops at the first
   * failure, the rest untouched.
   *
   * @param progress told about each step, as a line of text
   * @return why it stopped early, or empty
   */
  static Optional<String> restart(List<Instance> instances, Consumer<String> progress) {
    requireNonNull(instances, "instances");
    requireNonNull(progress, "progress");
    for (Instance instance : instances) {
      Optional<String> failure = restart(instance, progress);
      if (failure.isPresent()) {
        return failure;
      }
    }
    return Optional.empty();
  }

  private static Optional<String> restart(Instance instance, Consumer<String> progress) {
    if (instance.state() == Instance.State.STOPPED) {
      // Stopped on purpose (berth stop): it stays so; the change applies when it is started.
      progress.accept(instance.tag() + ": stopped, left stopped");
      return Optional.empty();
    }
    if (instance.current().isEmpty()) {
      progress.accept(
          instance.tag()
              + ": "
              + instance.state().name().toLowerCase(Locale.ROOT)
              + ", starting it");
      return instance.start().join();
    }
    if (instance.app().rollout(instance.type()) == App.Rollout.STOP_FIRST) {
      return StopFirstRestart.restart(instance, progress);
    }
    progress.accept(instance.tag() + ": starting its successor");
    long begun = System.nanoTime();
    StopKills kills = StopKills.watch(List.of(instance));
    Optional<String> failure = instance.replace().join();
    if (failure.isPresent()) {
      return Optional.of(failure.get() + " (the running instance keeps serving)");
    }
    long millis = (System.nanoTime() - begun) / 1_000_000;
    progress.accept(instance.tag() + ": replaced in " + millis + " ms");
    kills.report(progress);
    return Optional.empty();
  }

  private RollingRestart() {}
}
