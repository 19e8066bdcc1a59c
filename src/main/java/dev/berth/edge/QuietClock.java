package dev.berth.edge;

/**
 * How long one side of an exchange has been quiet, for a timeout ticked once a second. What moves
 * only sets a flag ({@link #stir}); each tick reads the flag, so a message never reads the clock.
 * Silence is counted from the first tick that found nothing moved, so a timeout fires up to two
 * ticks late rather than one.
 */
final class QuietClock {

  private long quietSince;
  private boolean stirred;

  /** Something moved. */
  void stir() {
    stirred = true;
  }

  /** Whether nothing moved for at least {@code timeoutNanos} before {@code now}, a tick's time. */
  boolean quietFor(long now, long timeoutNanos) {
    if (stirred) {
      stirred = false;
      quietSince = now;
      return false;
    }
    return now - quietSince >= timeoutNanos;
  }
}
