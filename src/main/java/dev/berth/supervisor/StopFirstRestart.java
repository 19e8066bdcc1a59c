package dev.berth.supervisor;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * {@code berth restart} of one instance of a stop-first type ({@link
 * dev.berth.config.App#rollout}): its process stops, then a new one starts, instead of a successor
 * first. A clock's two processes never run at once, and one holding a fixed port finds it free.
 */
final class StopFirstRestart {

  /**
   * Stops the running instance, then starts it, and waits until it is ready.
   *
   * @param progress told about each step, as a line of text
   * @return why it did not start again (it is then retried with backoff), or empty
   */
  static Optional<String> restart(Instance instance, Consumer<String> progress) {
    requireNonNull(instance, "instance");
    requireNonNull(progress, "progress");
    progress.accept(instance.tag() + ": stopping it, then starting it (stop-first)");
    long begun = System.nanoTime();
    StopKills kills = StopKills.watch(List.of(instance));
    instance.stop().join();
    kills.report(progress);
    Optional<String> failure = instance.start().join();
    if (failure.isPresent()) {
      return Optional.of(
          failure.get() + " (stop-first: the old process was stopped; retried with backoff)");
    }
    long millis = (System.nanoTime() - begun) / 1_000_000;
    progress.accept(instance.tag() + ": stopped, then started in " + millis + " ms (stop-first)");
    return Optional.empty();
  }

  private StopFirstRestart() {}
}
