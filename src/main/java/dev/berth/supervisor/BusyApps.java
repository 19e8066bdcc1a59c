package dev.berth.supervisor;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The apps with an operation that must not overlap another (deploy, restart, scale, env change,
 * reload...), and which. A second one is refused at once, naming the first, rather than queued: the
 * person who typed it learns why and can try again, and recycling leaves a busy app alone.
 */
final class BusyApps {

  private record Busy(String what, long since) {}

  private final Map<String, Busy> busy = new ConcurrentHashMap<>();

  /**
   * Marks the app busy with {@code what} until the result is closed.
   *
   * @throws IllegalStateException at once, naming what runs, if the app is busy already
   */
  Supervisor.Exclusive exclusive(String app, String what) {
    Busy mine = new Busy(what, System.nanoTime());
    Busy other = busy.putIfAbsent(app, mine);
    if (other != null) {
      throw new IllegalStateException(
          app
              + ": busy: a "
              + other.what()
              + " is in progress (for "
              + Duration.ofNanos(System.nanoTime() - other.since()).toSeconds()
              + "s); try again when it is done");
    }
    return () -> busy.remove(app, mine);
  }

  boolean isBusy(String app) {
    return busy.containsKey(app);
  }
}
