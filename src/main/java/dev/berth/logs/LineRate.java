package dev.berth.logs;

/**
 * A token bucket of lines per second for one instance's output (its {@code log_rate_limit}): up to
 * a second's worth of lines at once, then as many per second as the rate. The caller reads the
 * clock once per chunk of output ({@link #refill}) rather than once per line, because a flood is
 * millions of lines and the clock is the costliest part of the check. One thread only.
 */
final class LineRate {

  private static final long NANOS_PER_SECOND = 1_000_000_000L;

  private final long perSecond; // 0: no limit
  // Tokens in billionths of a line, so that refilling needs no floating point and loses nothing.
  private long nanoTokens;
  private long refilledAt;

  /**
   * @param perSecond lines per second, and the burst; 0 for no limit
   * @param now the clock's reading now (System.nanoTime, or a test's)
   */
  LineRate(int perSecond, long now) {
    if (perSecond < 0) {
      throw new IllegalArgumentException("perSecond must be >= 0: " + perSecond);
    }
    this.perSecond = perSecond;
    this.nanoTokens = perSecond * NANOS_PER_SECOND;
    this.refilledAt = now;
  }

  /** The limit in lines per second; 0 for none. */
  long perSecond() {
    return perSecond;
  }

  /** Adds the lines earned since the last refill, up to the burst. */
  void refill(long now) {
    long elapsed = now - refilledAt;
    if (perSecond == 0 || elapsed <= 0) {
      return;
    }
    refilledAt = now;
    long burst = perSecond * NANOS_PER_SECOND;
    // elapsed * perSecond overflows only after ~29 years at 10,000/s; cap elapsed at a second.
    nanoTokens = Math.min(burst, nanoTokens + Math.min(elapsed, NANOS_PER_SECOND) * perSecond);
  }

  /** Whether one more line may pass; takes its token if so. */
  boolean take() {
    if (perSecond == 0) {
      return true;
    }
    if (nanoTokens < NANOS_PER_SECOND) {
      return false;
    }
    nanoTokens -= NANOS_PER_SECOND;
    return true;
  }
}
