package dev.berth.upstream;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A drain's watch on one peer: how each request in flight through it ends, as its exchanges tell
 * ({@link Peer#end}). Made only when a drain asks ({@link Peer#watch}), so a peer that no drain
 * watches records nothing and allocates nothing per request. Bounded: the first {@link #LISTED}
 * outcomes of each {@link #take} are kept whole, the rest only counted.
 *
 * <p>An end is recorded and the peer's in-flight count lowered under the peer's lock, which a
 * {@link #take} holds too: it sees each request either still open or ended, never both or neither.
 */
public final class DrainWatch {

  /** Outcomes kept whole per take: a drain lists them, and counts the others. */
  public static final int LISTED = 5;

  private final Peer peer;

  /** Guarded by the peer's lock, as is {@link #unlisted}. */
  private List<RequestOutcome> listed = new ArrayList<>();

  private Map<String, Integer> unlisted = new LinkedHashMap<>();

  DrainWatch(Peer peer) {
    this.peer = peer;
  }

  /** Under the peer's lock. */
  void ended(RequestOutcome outcome) {
    if (listed.size() < LISTED) {
      listed.add(outcome);
    } else {
      unlisted.merge(outcome.tally(), 1, Integer::sum);
    }
  }

  /** Requests still open, and how those that ended since the last take ended; starts afresh. */
  public Tally take() {
    synchronized (peer) {
      Tally tally =
          new Tally(peer.active(), List.copyOf(listed), Collections.unmodifiableMap(unlisted));
      listed = new ArrayList<>();
      unlisted = new LinkedHashMap<>();
      return tally;
    }
  }

  /**
   * @param open requests (and tunnels) still in flight through the peer
   * @param listed the first outcomes, in the order they ended
   * @param unlisted how many more ended, by {@link RequestOutcome#tally()}
   */
  public record Tally(int open, List<RequestOutcome> listed, Map<String, Integer> unlisted) {}
}
