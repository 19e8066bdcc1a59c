package dev.berth.supervisor;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The instances a control command acts on: all of an app's, or those of one process type ({@code
 * berth stop APP --type clock}, as Heroku's {@code ps:stop clock}). What {@code stop} and {@code
 * start} do to them, all at once, with a line per instance saying what became of it, as a rolling
 * restart says it.
 *
 * @param type the process type, or null for all
 */
record Selection(String app, String type, List<Instance> instances) {

  Selection {
    requireNonNull(app, "app");
    instances = List.copyOf(instances);
  }

  /** The instances of {@code all} of this type (null: all of them), in their order. */
  static Selection of(String app, String type, List<Instance> all) {
    return new Selection(
        app, type, type == null ? all : all.stream().filter(i -> i.type().equals(type)).toList());
  }

  /**
   * Tells {@code progress} when there is nothing to act on (a type with {@code instances = 0}, or
   * scaled to 0), so that the command does not end without a word.
   */
  Selection reportIfEmpty(Consumer<String> progress) {
    if (instances.isEmpty()) {
      progress.accept(
          type == null
              ? app + ": no instances"
              : app
                  + ": no "
                  + type
                  + " instances (berth scale "
                  + app
                  + " "
                  + type
                  + "=N starts some)");
    }
    return this;
  }

  /** Stops every instance at once and keeps them stopped; answers once all are. */
  void stop(Consumer<String> progress) {
    List<Instance.State> before = states();
    StopKills kills = StopKills.watch(instances);
    List<CompletableFuture<Void>> stopping = instances.stream().map(Instance::stop).toList();
    for (int i = 0; i < instances.size(); i++) {
      stopping.get(i).join();
      Instance.State was = before.get(i);
      progress.accept(
          instances.get(i).tag()
              + switch (was) {
                case STOPPED -> ": stopped already";
                case RUNNING -> ": stopped";
                default -> ": stopped (was " + lower(was) + ")";
              });
    }
    // A process killed after its stop_timeout: a line of its own.
    kills.report(progress);
  }

  /**
   * Starts the stopped, FATAL or waiting instances at once, clearing their failures; running ones
   * are left as they are. @return why some did not start, one line each
   */
  List<String> start(Consumer<String> progress) {
    List<Instance.State> before = states();
    List<CompletableFuture<Optional<String>>> starting =
        instances.stream().map(Instance::start).toList();
    List<String> failures = new ArrayList<>();
    for (int i = 0; i < instances.size(); i++) {
      Optional<String> failure = starting.get(i).join();
      if (failure.isPresent()) {
        // It names the instance already ("worker.1: exited ...").
        failures.add(failure.get());
        continue;
      }
      progress.accept(
          instances.get(i).tag()
              + (before.get(i) == Instance.State.RUNNING ? ": running already" : ": started"));
    }
    return failures;
  }

  private List<Instance.State> states() {
    return instances.stream().map(Instance::state).toList();
  }

  private static String lower(Instance.State state) {
    return state.name().toLowerCase(Locale.ROOT);
  }
}
