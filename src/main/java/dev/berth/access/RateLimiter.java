package dev.berth.access;

import static java.util.Objects.requireNonNull;

import dev.berth.config.RouteAccess.RateLimit;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * One route's token buckets, one per client key. A bucket is kept as the time at which it will be
 * full again (GCRA's "theoretical arrival time"): one long per client, and a bucket that is full is
 * the same as none, so it can go.
 *
 * <p>Memory is bounded: past {@code maxClients} keys, the buckets that are full again are dropped,
 * and if that frees too little, those nearest to full, as nginx drops its least recently used
 * states. A dropped client starts again with a full bucket.
 */
final class RateLimiter {

  static final int MAX_CLIENTS = 65_536;

  private final long interval;
  private final long capacity;
  private final int maxClients;
  private final LongSupplier nanos;
  private final Map<Long, Long> fullAt = new ConcurrentHashMap<>();
  private final AtomicBoolean sweeping = new AtomicBoolean();

  /** When a request last came; the limiter of a route gone from the config is dropped by it. */
  private volatile long lastUse;

  RateLimiter(RateLimit limit, LongSupplier nanos, int maxClients) {
    requireNonNull(limit, "limit");
    this.nanos = requireNonNull(nanos, "nanos");
    this.interval = limit.intervalNanos();
    this.capacity = interval * limit.burst();
    this.maxClients = maxClients;
    this.lastUse = nanos.getAsLong();
  }

  /**
   * Takes a token of {@code client}'s bucket.
   *
   * @return 0 when it had one, else how many nanoseconds until it has
   */
  long take(long client) {
    long now = nanos.getAsLong();
    lastUse = now;
    long[] wait = new long[1];
    Long key = client;
    if (fullAt.size() >= maxClients && !fullAt.containsKey(key)) {
      sweep(now);
    }
    fullAt.compute(
        key,
        (k, old) -> {
          long base = old == null || old - now < 0 ? now : old;
          long next = base + interval;
          long allowedFrom = next - capacity;
          if (now - allowedFrom < 0) {
            wait[0] = allowedFrom - now;
            return old;
          }
          return next;
        });
    return wait[0];
  }

  /** Whether nothing came for long enough that every bucket is full again. */
  boolean idle() {
    return nanos.getAsLong() - lastUse - capacity > 0;
  }

  int clients() {
    return fullAt.size();
  }

  /**
   * Drops the full buckets; while fewer than an eighth of the keys went, those within a widening
   * margin of full. Each pass is linear, and a sweep frees room for an eighth of the bound, so a
   * flood of new addresses costs a constant amount per request on average.
   */
  private void sweep(long now) {
    if (!sweeping.compareAndSet(false, true)) {
      return;
    }
    try {
      int target = maxClients - Math.max(1, maxClients / 8);
      for (long margin = 0; fullAt.size() > target; margin = margin == 0 ? interval : margin * 2) {
        for (Iterator<Map.Entry<Long, Long>> it = fullAt.entrySet().iterator(); it.hasNext(); ) {
          Map.Entry<Long, Long> e = it.next();
          if (e.getValue() - now - margin <= 0) {
            it.remove();
          }
        }
        if (margin > capacity) {
          break;
        }
      }
    } finally {
      sweeping.set(false);
    }
  }
}
