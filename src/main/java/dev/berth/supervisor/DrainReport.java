package dev.berth.supervisor;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What became of the requests in flight through a generation that drains and stops: how many
 * finished during the drain, how many were still running at its end, and then, after the stop, a
 * line per request that was still running (how it ended, and whether the stop was why). The edge
 * tells how each request ends ({@link InstanceListener.Watch}); this class only counts and words.
 *
 * <p>Two takes of each watch: at the drain's end (the "drain" step's counts), and once the
 * processes are stopped, waiting only a {@link #MOMENT} more for the edge to see the last
 * connections close. Whether a request ended "after SIGTERM" is told by when it ended against when
 * its incarnation's stop began ({@link Incarnation#markTerminating}), so a second drain in between
 * (an instance's own, at its shutdown) changes nothing.
 */
final class DrainReport {

  /** After the stop: time for the edge to see the stopped processes' connections close. */
  static final Duration MOMENT = Duration.ofMillis(500);

  private static final System.Logger LOG = System.getLogger(DrainReport.class.getName());

  private static final Duration POLL = Duration.ofMillis(20);

  /** Requests listed one per line; those past it are counted. */
  static final int LISTED = 5;

  /** Per watched incarnation, its watch; an incarnation the edge cannot tell about has none. */
  private final List<Watched> watched;

  private final boolean blind;

  /** The "drain" step's words, once {@link #drained} said them. */
  private String summary;

  private final List<String> lines = new ArrayList<>();
  private final Map<String, Integer> unlisted = new LinkedHashMap<>();
  private int open;

  private record Watched(Incarnation incarnation, InstanceListener.Watch watch) {}

  private DrainReport(List<Watched> watched, boolean blind) {
    this.watched = watched;
    this.blind = blind;
  }

  /**
   * Starts watching the requests in flight through {@code generation}'s current incarnations (out
   * of rotation now).
   */
  static DrainReport watch(List<Instance> generation) {
    return watching(generation.stream().flatMap(instance -> instance.current().stream()).toList());
  }

  /** Starts watching the requests in flight through {@code incarnations} (out of rotation now). */
  static DrainReport watching(List<Incarnation> incarnations) {
    List<Watched> watched = new ArrayList<>();
    boolean blind = false;
    for (Incarnation incarnation : incarnations) {
      if (incarnation.routed() == null) {
        continue;
      }
      InstanceListener.Watch watch = incarnation.routed().watch();
      if (watch == null) {
        blind = true;
      } else {
        watched.add(new Watched(incarnation, watch));
      }
    }
    return new DrainReport(watched, blind);
  }

  /**
   * The drain is over: the "drain" step's words, "3 in flight: 2 finished, 1 still running at
   * drain_timeout 30s".
   *
   * @param inFlight requests in flight at the drain's start, for an edge that cannot tell more
   * @param stillRunning requests in flight now, likewise
   */
  String drained(Duration drainTimeout, int inFlight, int stillRunning) {
    requireNonNull(drainTimeout, "drainTimeout");
    String atTimeout = " still running at drain_timeout " + seconds(drainTimeout);
    if (blind) {
      return inFlight + " in flight" + (stillRunning > 0 ? ", " + stillRunning + atTimeout : "");
    }
    Map<String, Integer> counts = new LinkedHashMap<>();
    counts.put("finished", 0);
    int ended = 0;
    for (Watched w : watched) {
      InstanceListener.Tally tally = w.watch().take();
      open += tally.open();
      for (InstanceListener.Ended e : tally.listed()) {
        counts.merge(e.tally(), 1, Integer::sum);
        ended++;
      }
      for (Map.Entry<String, Integer> more : tally.unlisted().entrySet()) {
        counts.merge(more.getKey(), more.getValue(), Integer::sum);
        ended += more.getValue();
      }
    }
    if (ended + open == 0) {
      return "0 in flight";
    }
    List<String> parts = new ArrayList<>();
    counts.forEach((word, n) -> parts.add(n + " " + word));
    parts.removeIf(part -> part.startsWith("0 "));
    if (open > 0) {
      parts.add(open + atTimeout);
    }
    summary = (ended + open) + " in flight: " + String.join(", ", parts);
    return summary;
  }

  /**
   * For a drain that has no deploy output to go to (a restart, recycling, a stop, a scale down):
   * once the incarnation has stopped, what became of the requests still running at the drain's end
   * goes to berth's log, one line; nothing when none was.
   */
  void log(String tag) {
    List<String> after = stopped();
    if (!after.isEmpty()) {
      LOG.log(
          System.Logger.Level.INFO,
          "{0}: drain ({1}); after the stop: {2}",
          tag,
          summary,
          String.join("; ", after));
    }
  }

  /**
   * The processes have stopped: waits a {@link #MOMENT} at most for the edge to see the last
   * requests end, then a line per request that was still running at the drain's end, "web.1 GET
   * /slow: finished 200 after SIGTERM (40.2s)"; at most a few per instance, then how many more and
   * how they ended. Nothing more is watched after.
   */
  List<String> stopped() {
    try {
      if (open == 0) {
        return List.of();
      }
      long deadline = System.nanoTime() + MOMENT.toNanos();
      while (stillOpen() > 0 && System.nanoTime() < deadline) {
        sleep(POLL);
      }
      int left = takeAll();
      List<String> report = new ArrayList<>(lines);
      if (!unlisted.isEmpty()) {
        List<String> parts = new ArrayList<>();
        unlisted.forEach((word, n) -> parts.add(n + " " + word));
        int more = unlisted.values().stream().mapToInt(Integer::intValue).sum();
        report.add("and " + more + " more: " + String.join(", ", parts));
      }
      if (left > 0) {
        report.add(
            left
                + (left == 1 ? " request" : " requests")
                + " still open after the stop: the edge has not seen "
                + (left == 1 ? "its" : "their")
                + " end yet");
      }
      return report;
    } finally {
      watched.forEach(w -> w.watch().close());
    }
  }

  /** Takes every watch: lists what ended, counts the rest. @return requests still open */
  private int takeAll() {
    int left = 0;
    for (Watched w : watched) {
      InstanceListener.Tally tally = w.watch().take();
      left += tally.open();
      for (InstanceListener.Ended e : tally.listed()) {
        if (lines.size() < LISTED) {
          lines.add(line(w.incarnation(), e));
        } else {
          unlisted.merge(e.tally(), 1, Integer::sum);
        }
      }
      tally.unlisted().forEach((word, n) -> unlisted.merge(word, n, Integer::sum));
    }
    return left;
  }

  private int stillOpen() {
    return watched.stream().mapToInt(w -> w.incarnation().inFlight()).sum();
  }

  /**
   * "web.1 GET /slow: finished 200 after SIGTERM (40.2s)", "web.1 GET /big: cut mid-response, the
   * client got part of a 200: web.1 was killed (SIGKILL) (31.0s)": "after SIGTERM" when it ended
   * once the incarnation's stop had begun.
   */
  static String line(Incarnation incarnation, InstanceListener.Ended ended) {
    String tag = incarnation.tag();
    boolean stopped = incarnation.terminatingBy(ended.endedNanos());
    String how;
    if (stopped && ended.cutByApp() && incarnation.killed()) {
      how = ": " + tag + " was killed (SIGKILL)";
    } else {
      how = (ended.why() == null ? "" : ": " + ended.why()) + (stopped ? " after SIGTERM" : "");
    }
    return tag
        + " "
        + ended.request()
        + ": "
        + ended.outcome()
        + how
        + (ended.took() == null
            ? ""
            : String.format(Locale.ROOT, " (%.1fs)", ended.took().toMillis() / 1000.0));
  }

  /** "30s", "1.5s". */
  static String seconds(Duration duration) {
    long millis = duration.toMillis();
    return millis % 1000 == 0
        ? millis / 1000 + "s"
        : String.format(Locale.ROOT, "%.1fs", millis / 1000.0);
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
