package dev.berth.supervisor;

import static java.util.Objects.requireNonNull;

import dev.berth.config.App;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

/**
 * <b>The order in which a deploy starts an app's new generation</b>, up to its switch, as each
 * process type's rollout asks ({@link App#rollout}). The start-first types' new instances start
 * beside the old ones and must be ready (the old ones stop after the switch, in {@link
 * TrafficSwitch#retire}). Then each stop-first type's old instances stop, and only then do its new
 * ones start: a clock's old and new process never run at the same moment, and a process holding a
 * fixed port finds it free. If anything fails, {@link #undo} stops the new generation and starts
 * the old stop-first instances again, so the old generation runs whole.
 */
final class GenerationReplacement {

  /** Where a deploy's new instances are registered before they begin, so a shutdown ends them. */
  interface Incoming {
    /**
     * Registers the instances, which the caller then begins at once, unless berth is stopping.
     *
     * @return false (nothing registered) when berth is stopping
     */
    boolean admit(List<Instance> instances);
  }

  private final App next;
  private final List<Instance> old;
  private final List<Instance> fresh;
  private final TrafficSwitch traffic;
  private final Incoming incoming;
  private final BooleanSupplier closed;

  /** The new instances begun so far: what {@link #undo} must stop. */
  private final List<Instance> begun = new ArrayList<>();

  /** The old stop-first instances that were running and that the swap stopped. */
  private final List<Instance> stoppedOld = new ArrayList<>();

  /**
   * @param next the definition the new generation runs, whose rollouts decide the order
   * @param old the app's instances now
   * @param fresh the new generation, not begun
   * @param closed true once berth is stopping (nothing may start then)
   */
  GenerationReplacement(
      App next,
      List<Instance> old,
      List<Instance> fresh,
      TrafficSwitch traffic,
      Incoming incoming,
      BooleanSupplier closed) {
    this.next = requireNonNull(next, "next");
    this.old = List.copyOf(old);
    this.fresh = List.copyOf(fresh);
    this.traffic = requireNonNull(traffic, "traffic");
    this.incoming = requireNonNull(incoming, "incoming");
    this.closed = requireNonNull(closed, "closed");
  }

  /**
   * Starts the new generation: its start-first instances (step "start"), then the stop-first swap
   * (step "swap"). On a failure everything is undone first.
   *
   * @param label what the new generation is ("release 7")
   * @return why it failed, or empty once every new instance is ready for the switch
   */
  Optional<String> start(String label, Supervisor.Steps steps) {
    requireNonNull(label, "label");
    requireNonNull(steps, "steps");
    List<Instance> startFirst = ofRollout(fresh, App.Rollout.START_FIRST);
    List<Instance> stopFirst = ofRollout(fresh, App.Rollout.STOP_FIRST);
    long begun = System.nanoTime();
    Optional<String> failed = begin(startFirst);
    if (failed.isPresent()) {
      return Optional.of(failed.get() + undo());
    }
    steps.step("start", describe(label), since(begun));
    if (stopFirst.isEmpty()) {
      return Optional.empty();
    }
    long swapping = System.nanoTime();
    Set<String> types = stopFirst.stream().map(Instance::type).collect(Collectors.toSet());
    List<Instance> replaced = old.stream().filter(i -> types.contains(i.type())).toList();
    // Before anything stops: if berth is stopping, the old ones must stay as they are.
    if (!incoming.admit(stopFirst)) {
      return Optional.of("berth is stopping" + undo());
    }
    for (Instance instance : replaced) {
      Instance.State before = instance.state();
      if (before != Instance.State.STOPPED && before != Instance.State.FATAL) {
        stoppedOld.add(instance);
      }
    }
    StopKills kills = StopKills.watch(replaced);
    replaced.stream().map(Instance::stop).toList().forEach(CompletableFuture::join);
    String killed = StopKills.brief(kills.since());
    failed = launch(stopFirst);
    if (failed.isPresent()) {
      return Optional.of(failed.get() + undo());
    }
    steps.step("swap", swapped(replaced, stopFirst) + killed, since(swapping));
    return Optional.empty();
  }

  /**
   * The new generation will not serve: its instances begun so far stop, then the old stop-first
   * instances that the swap stopped start again (the old release), so the two never overlap.
   *
   * @return what happened to the old stop-first instances, to append to the failure ("" when the
   *     swap stopped none)
   */
  String undo() {
    traffic.abandon(begun);
    begun.clear();
    if (stoppedOld.isEmpty()) {
      return "";
    }
    List<String> tags = stoppedOld.stream().map(Instance::tag).toList();
    List<String> failures =
        stoppedOld.stream().map(Instance::start).toList().stream()
            .map(CompletableFuture::join)
            .flatMap(Optional::stream)
            .toList();
    stoppedOld.clear();
    if (failures.isEmpty()) {
      return "\n(stop-first: the old "
          + String.join(", ", tags)
          + " started again; the old generation runs whole)";
    }
    return "\n(stop-first: the old "
        + String.join(", ", tags)
        + " did not all start again, retried with backoff: "
        + String.join("; ", failures)
        + ")";
  }

  /** Begins the instances and waits until each is ready; @return why some did not start. */
  private Optional<String> begin(List<Instance> instances) {
    if (instances.isEmpty()) {
      return closed.getAsBoolean() ? Optional.of("berth is stopping") : Optional.empty();
    }
    if (!incoming.admit(instances)) {
      return Optional.of("berth is stopping");
    }
    return launch(instances);
  }

  /** Begins instances already admitted and waits until each is ready; @return why not. */
  private Optional<String> launch(List<Instance> instances) {
    begun.addAll(instances);
    List<String> failures =
        instances.stream().map(Instance::begin).toList().stream()
            .map(CompletableFuture::join)
            .flatMap(Optional::stream)
            .toList();
    if (!failures.isEmpty()) {
      return Optional.of(String.join("\n", failures));
    }
    return closed.getAsBoolean() ? Optional.of("berth is stopping") : Optional.empty();
  }

  /**
   * The start step's detail: "2 web, 1 worker (release 7)"; with stop-first types, which type used
   * which rollout: "2 web, 1 worker (start-first); 1 clock (stop-first) (release 7)".
   */
  private String describe(String label) {
    Map<String, Integer> startFirst = new LinkedHashMap<>();
    Map<String, Integer> stopFirst = new LinkedHashMap<>();
    for (Instance instance : fresh) {
      boolean first = next.rollout(instance.type()) == App.Rollout.STOP_FIRST;
      (first ? stopFirst : startFirst).merge(instance.type(), 1, Integer::sum);
    }
    if (stopFirst.isEmpty()) {
      return ProcessCounts.describe(startFirst) + " (" + label + ")";
    }
    String stops = ProcessCounts.describe(stopFirst) + " (stop-first)";
    if (startFirst.isEmpty()) {
      return stops + " (" + label + ")";
    }
    return ProcessCounts.describe(startFirst) + " (start-first); " + stops + " (" + label + ")";
  }

  /** "shop.clock.1 stopped, then started (stop-first)", by type. */
  private static String swapped(List<Instance> stopped, List<Instance> started) {
    List<String> parts = new ArrayList<>();
    for (Map.Entry<String, List<Instance>> type : byType(started).entrySet()) {
      List<Instance> before = byType(stopped).getOrDefault(type.getKey(), List.of());
      String after = tags(type.getValue());
      if (before.isEmpty()) {
        parts.add(after + " started");
      } else if (tags(before).equals(after)) {
        parts.add(after + " stopped, then started");
      } else {
        parts.add(tags(before) + " stopped, then " + after + " started");
      }
    }
    return String.join("; ", parts) + " (stop-first)";
  }

  private static Map<String, List<Instance>> byType(List<Instance> instances) {
    return instances.stream()
        .collect(Collectors.groupingBy(Instance::type, LinkedHashMap::new, Collectors.toList()));
  }

  private static String tags(List<Instance> instances) {
    return ProcessCounts.tags(instances.stream().map(Instance::tag).toList());
  }

  private List<Instance> ofRollout(List<Instance> instances, App.Rollout rollout) {
    return instances.stream().filter(i -> next.rollout(i.type()) == rollout).toList();
  }

  private static Duration since(long nanos) {
    return Duration.ofNanos(System.nanoTime() - nanos);
  }
}
