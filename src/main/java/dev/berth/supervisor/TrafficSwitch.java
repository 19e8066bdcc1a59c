package dev.berth.supervisor;

import static java.util.Objects.requireNonNull;

import dev.berth.config.App;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * <b>The one place where traffic moves between an app's processes</b>: an instance's ready
 * incarnation joins the rotation (or waits on standby while its generation does not serve), an
 * incarnation leaves it, and a deploy switches from one generation to the next. Each of these takes
 * this class's lock itself, so a switch never misses an incarnation that just became ready, nor
 * lets one of the old generation in after it. Routing changes are rare (starts, exits, deploys):
 * one lock for all apps will do.
 *
 * <p>Each instance has a {@link Slot} here: its current incarnation, and whether its generation
 * serves. A deploy's new generation is made with slots that do not serve; {@link #switchOver} turns
 * them on and the old generation's off in one step, and {@link #retire} then drains and stops the
 * old one, or {@link #abandon} stops a new one that will not serve.
 */
final class TrafficSwitch {

  /**
   * After a deploy's switch, before the old generation's in-flight count is trusted: a request that
   * picked an old peer an instant before the switch has counted itself in by then.
   */
  private static final Duration SWITCH_SETTLE = Duration.ofMillis(100);

  private static final Duration DRAIN_POLL = Duration.ofMillis(20);

  private final Object lock = new Object();
  private final InstanceListener listener;

  TrafficSwitch(InstanceListener listener) {
    this.listener = requireNonNull(listener, "listener");
  }

  /**
   * A place in the rotation for instance {@code number} of {@code app}.
   *
   * @param serving whether its incarnations join the rotation when ready (false: a deploy's new
   *     generation, until its switch)
   */
  Slot slot(String app, int number, boolean serving) {
    return new Slot(app, number, serving);
  }

  /** One instance's place in the rotation: which incarnation is its current one, and is it in. */
  final class Slot {
    private final String app;
    private final int number;

    /** Written under the switch's lock, read anywhere. */
    private volatile Incarnation current;

    /** Whether its generation serves. Guarded by the switch's lock. */
    private boolean serving;

    private Slot(String app, int number, boolean serving) {
      this.app = requireNonNull(app, "app");
      this.number = number;
      this.serving = serving;
    }

    /** The ready incarnation, or null (starting, in backoff, stopped). */
    Incarnation current() {
      return current;
    }

    /**
     * {@code next} is ready and becomes the current incarnation: routed if its generation serves,
     * else given a standby peer (out of rotation). A process that is not web has no peer.
     */
    void enter(Incarnation next) {
      requireNonNull(next, "next");
      synchronized (lock) {
        current = next;
        if (next.endpoint() != null) {
          next.routed(
              serving
                  ? listener.ready(app, number, next.endpoint())
                  : listener.standby(app, number, next.endpoint()));
        }
      }
    }

    /**
     * The current incarnation stops being current and leaves the rotation (its requests in flight
     * go on). @return it, or null if there was none
     */
    Incarnation vacate() {
      Incarnation gone;
      synchronized (lock) {
        gone = current;
        current = null;
      }
      // After the lock: a switch that saw it as current has handed its peer over by now, and this
      // withdraws it from the new rotation too.
      if (gone != null) {
        gone.withdraw();
      }
      return gone;
    }
  }

  /**
   * The app's first generation, about to begin, serves from its release: so do the app's files.
   * Under the lock, as a switch: a deploy of the same app cannot be in between.
   */
  void firstGeneration(App app) {
    synchronized (lock) {
      listener.serveFrom(app.name(), app.run().dir());
    }
  }

  /**
   * <b>The switch of a deploy.</b> Every new web instance must still have its ready incarnation;
   * then the old instances stop serving (a restart of one of them while it drains stays out of
   * rotation), the new ones serve, and the app's backend is set to exactly the new peers, and its
   * release files to the new release ({@code next.run().dir()}), in one atomic step ({@link
   * InstanceListener#switchOver}: a request picks from the old set or the new one).
   *
   * @return why the switch did not happen (nothing changed then), or empty
   */
  Optional<String> switchOver(App next, List<Instance> old, List<Instance> fresh) {
    synchronized (lock) {
      List<InstanceListener.Routed> serving = new ArrayList<>();
      for (Instance instance : fresh) {
        if (!instance.type().equals(Instance.WEB)) {
          continue;
        }
        Incarnation current = instance.slot().current;
        if (current == null || current.routed() == null || !current.process().isAlive()) {
          String why =
              instance.lastProblem() == null ? "it is " + instance.state() : instance.lastProblem();
          return Optional.of(instance.tag() + ": exited before the switch: " + why);
        }
        serving.add(current.routed());
      }
      old.forEach(instance -> instance.slot().serving = false);
      fresh.forEach(instance -> instance.slot().serving = true);
      if (next.hasWeb() || !old.isEmpty()) {
        listener.switchOver(next.name(), next.run().dir(), serving);
      }
    }
    return Optional.empty();
  }

  /**
   * The old generation, out of rotation since the switch: its requests in flight finish (up to
   * {@code drainTimeout}), then its instances stop, each with its process tree.
   *
   * @return the old instances that had to be killed (SIGKILL) after their stop_timeout
   */
  List<SigKill> retire(List<Instance> old, Duration drainTimeout, Supervisor.Steps steps) {
    long begun = System.nanoTime();
    // Before the settle: a request that picked an old peer just before the switch is seen end.
    DrainReport report = DrainReport.watch(old);
    sleep(SWITCH_SETTLE);
    int inFlight = inFlight(old);
    long deadline = begun + drainTimeout.toNanos();
    while (inFlight(old) > 0 && System.nanoTime() < deadline) {
      sleep(DRAIN_POLL);
    }
    String drained = report.drained(drainTimeout, inFlight, inFlight(old));
    // WebSockets do not end by themselves: those still open get their 1001 before the stop.
    old.forEach(instance -> instance.current().ifPresent(Incarnation::closeTunnels));
    steps.step("drain", "old generation (" + drained + ")", since(begun));
    List<SigKill> killed = stop(old, steps);
    // What became of each request still running at the drain's end, now that it is known.
    report.stopped().forEach(line -> steps.step("drain", line, null));
    return killed;
  }

  /**
   * The stop step: {@code old generation (5 instances; shop.worker.1 killed 30s after SIGTERM)}.
   */
  private static List<SigKill> stop(List<Instance> old, Supervisor.Steps steps) {
    long stopping = System.nanoTime();
    StopKills kills = StopKills.watch(old);
    // Drained above: no second drain_timeout before the SIGTERM.
    old.stream().map(i -> i.shutdown(true)).toList().forEach(CompletableFuture::join);
    List<SigKill> killed = kills.since();
    steps.step(
        "stop",
        "old generation ("
            + old.size()
            + " instance"
            + (old.size() == 1 ? "" : "s")
            + StopKills.brief(killed)
            + ")",
        since(stopping));
    return killed;
  }

  /** A new generation that will not serve (it failed to start, or the switch refused): stopped. */
  void abandon(List<Instance> fresh) {
    shutdown(fresh);
  }

  private static void shutdown(List<Instance> generation) {
    generation.stream().map(Instance::shutdown).toList().forEach(CompletableFuture::join);
  }

  private static int inFlight(List<Instance> generation) {
    return generation.stream()
        .mapToInt(i -> i.current().map(Incarnation::inFlight).orElse(0))
        .sum();
  }

  private static Duration since(long nanos) {
    return Duration.ofNanos(System.nanoTime() - nanos);
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
