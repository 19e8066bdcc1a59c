package dev.berth.supervisor;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An edge that only takes notes, in order: {@code ready web.1-1}, {@code standby web.1-2}, {@code
 * withdraw web.1-1}, {@code switch web.1-2 web.2-3} (named after the socket's file, as {@link
 * ScriptedLauncher} names them).
 */
final class RecordingListener implements InstanceListener {

  private static final Duration HANDOFF = Duration.ofSeconds(20);

  private final BlockingQueue<String> events = new LinkedBlockingQueue<>();

  /**
   * What the peers' drain watches give, one tally per take, in order; none: the peers have no
   * watch. A peer's requests in flight are the next tally's open ones.
   */
  private final Queue<Tally> tallies = new ConcurrentLinkedQueue<>();

  /** The next takes of a drain's watch give these. */
  void tallies(Tally... next) {
    tallies.addAll(List.of(next));
  }

  @Override
  public Routed ready(String app, int instance, Endpoint endpoint) {
    events.add("ready " + name(endpoint));
    return new Peer(name(endpoint));
  }

  @Override
  public Routed standby(String app, int instance, Endpoint endpoint) {
    events.add("standby " + name(endpoint));
    return new Peer(name(endpoint));
  }

  /**
   * The release the app's files come from, as the edge would keep it: set at the first generation
   * and by each switch, in the same call as the peers.
   */
  private volatile Path release;

  @Override
  public void serveFrom(String app, Path release) {
    this.release = release;
  }

  @Override
  public void switchOver(String app, Path release, List<Routed> serving) {
    this.release = release;
    events.add(
        "switch "
            + String.join(" ", serving.stream().map(routed -> ((Peer) routed).name).toList()));
  }

  /** Where the app's files come from now; null before its first generation. */
  Path release() {
    return release;
  }

  /** The next note, waited for. */
  String next() throws InterruptedException {
    String next = events.poll(HANDOFF.toMillis(), TimeUnit.MILLISECONDS);
    if (next == null) {
      throw new AssertionError("no routing change within " + HANDOFF.toSeconds() + " s");
    }
    return next;
  }

  /** The notes taken and not yet read. */
  List<String> taken() {
    return List.copyOf(events);
  }

  static String name(Endpoint endpoint) {
    String file = ((Endpoint.Unix) endpoint).path().getFileName().toString();
    return file.substring(0, file.length() - ".sock".length());
  }

  private final class Peer implements Routed {
    private final String name;
    private final AtomicBoolean withdrawn = new AtomicBoolean();

    Peer(String name) {
      this.name = name;
    }

    @Override
    public void withdraw() {
      if (withdrawn.compareAndSet(false, true)) {
        events.add("withdraw " + name);
      }
    }

    @Override
    public int inFlight() {
      Tally next = tallies.peek();
      return next == null ? 0 : next.open();
    }

    /** Whether it gave its watch: a second drain (a shutdown's, after a deploy's) has none. */
    private final AtomicBoolean watched = new AtomicBoolean();

    @Override
    public Watch watch() {
      if (tallies.isEmpty() || !watched.compareAndSet(false, true)) {
        return null;
      }
      return new Watch() {
        @Override
        public Tally take() {
          Tally next = tallies.poll();
          if (next == null) {
            return new Tally(0, List.of(), java.util.Map.of());
          }
          // Those scripted without an end's time ended now, as the take is made.
          long now = System.nanoTime();
          return new Tally(
              next.open(),
              next.listed().stream()
                  .map(
                      e ->
                          e.endedNanos() != 0
                              ? e
                              : new Ended(
                                  e.request(),
                                  e.outcome(),
                                  e.why(),
                                  e.cutByApp(),
                                  e.tally(),
                                  e.took(),
                                  now))
                  .toList(),
              next.unlisted());
        }

        @Override
        public void close() {
          events.add("unwatch " + name);
        }
      };
    }

    @Override
    public long requests() {
      return 0;
    }
  }
}
