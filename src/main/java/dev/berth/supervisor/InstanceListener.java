package dev.berth.supervisor;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Told when an instance may take traffic; the answer lets the supervisor take it out again. */
public interface InstanceListener {

  /** The instance at {@code endpoint} is ready: send it traffic. */
  Routed ready(String app, int instance, Endpoint endpoint);

  /**
   * The instance at {@code endpoint} is ready, but it belongs to a generation that is not serving
   * yet: keep it out of rotation until {@link #switchOver}.
   */
  Routed standby(String app, int instance, Endpoint endpoint);

  /**
   * The app's first generation runs from {@code release} (berth up, an app a reload adds): what the
   * app serves from its release (its static directories) comes from there, before any of its
   * instances is {@link #ready}.
   */
  void serveFrom(String app, Path release);

  /**
   * A deploy's switch: from now on exactly {@code serving} take the app's traffic, and the app's
   * release files come from {@code release}, theirs, in one atomic step; every other peer of the
   * app leaves the rotation (its requests in flight go on).
   *
   * @param release the directory the new generation runs from
   * @param serving handles this listener gave out ({@link #ready} or {@link #standby})
   */
  void switchOver(String app, Path release, List<Routed> serving);

  /** An instance in rotation, as the edge sees it. */
  interface Routed {
    /** Sends it no new requests; those in flight go on. Idempotent. */
    void withdraw();

    /** Requests sent to it and not yet finished. */
    int inFlight();

    /** Requests sent to it since it became ready (what max_requests counts). */
    long requests();

    /** Upgraded connections (WebSockets) open through it; they count as in flight too. */
    default int tunnels() {
      return 0;
    }

    /**
     * Ends its open upgraded connections (a WebSocket gets a close frame 1001), and returns once
     * they are closed: its process is about to stop, after its drain.
     */
    default void closeTunnels() {}

    /**
     * From now on, tells how each of its requests in flight ends: it left the rotation and drains.
     * Null when the edge cannot tell (then only {@link #inFlight} counts).
     */
    default Watch watch() {
      return null;
    }
  }

  /** A drain's watch on one routed instance: how its requests in flight end. */
  interface Watch {
    /** Requests still open, and how those that ended since the last take ended. */
    Tally take();

    /** The drain is over: nothing more is recorded. */
    void close();
  }

  /**
   * @param open requests still in flight (and upgraded connections still open)
   * @param listed the first requests that ended, in order (a few: the rest are counted)
   * @param unlisted how many more ended, by a short word ("finished", "cut" ...)
   */
  record Tally(int open, List<Ended> listed, Map<String, Integer> unlisted) {
    public Tally {
      listed = List.copyOf(listed);
      unlisted = Collections.unmodifiableMap(new LinkedHashMap<>(unlisted));
    }
  }

  /**
   * How one request ended, in the edge's words.
   *
   * @param request "GET /slow" (never its query)
   * @param outcome what the client got: "finished 200", "cut mid-response, the client got part of a
   *     200" ...
   * @param why why the app's side ended it early ("the app closed the connection"), or null
   * @param cutByApp whether the app's side ended it (its process stopping may be why)
   * @param tally the short word that counts it: "finished", "cut" ...
   * @param took how long it took, or null when unknown
   * @param endedNanos when it ended ({@link System#nanoTime})
   */
  record Ended(
      String request,
      String outcome,
      String why,
      boolean cutByApp,
      String tally,
      Duration took,
      long endedNanos) {}
}
