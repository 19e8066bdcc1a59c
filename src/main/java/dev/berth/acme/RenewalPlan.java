package dev.berth.acme;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.Instant;
import java.util.random.RandomGenerator;

/**
 * When a certificate is renewed, and when a failed order is tried again. Pure: the time is given,
 * and so is the source of randomness (a fixed one in tests).
 *
 * <ul>
 *   <li>Without renewal information from the CA: at two thirds of the certificate's lifetime (day
 *       60 of Let's Encrypt's 90, as certbot and Caddy do), less a random part of up to a thirtieth
 *       of it (two days of 90), so that many hosts issued together do not renew together.
 *   <li>With the CA's renewal window (ARI, RFC 9773): a uniformly random time within it (the RFC's
 *       section 4.2), or at once when the window has passed.
 *   <li>After a failure: one minute, doubled at each failure in a row up to a day, ±10%; later when
 *       the CA said to retry later.
 * </ul>
 */
final class RenewalPlan {

  static final Duration FIRST_RETRY = Duration.ofMinutes(1);
  static final Duration LAST_RETRY = Duration.ofDays(1);

  /**
   * How often the CA's renewal information is read again (RFC 9773 suggests following its
   * Retry-After; 6 h is Let's Encrypt's).
   */
  static final Duration ARI_POLL = Duration.ofHours(6);

  /** The CA's suggested renewal window: from {@code start} (inclusive) to {@code end}. */
  record Window(Instant start, Instant end) {
    Window {
      requireNonNull(start, "start");
      requireNonNull(end, "end");
      if (end.isBefore(start)) {
        throw new IllegalArgumentException("window ends before it starts: " + start + " " + end);
      }
    }
  }

  private final RandomGenerator random;

  RenewalPlan(RandomGenerator random) {
    this.random = requireNonNull(random, "random");
  }

  /**
   * When to renew a certificate valid from {@code notBefore} to {@code notAfter}; never before
   * {@code now}.
   */
  Instant renewAt(Instant notBefore, Instant notAfter, Instant now) {
    Duration lifetime = Duration.between(notBefore, notAfter);
    if (lifetime.isNegative() || lifetime.isZero()) {
      return now;
    }
    Instant twoThirds = notBefore.plus(lifetime.multipliedBy(2).dividedBy(3));
    Instant at = twoThirds.minus(fraction(lifetime.dividedBy(30)));
    return at.isBefore(now) ? now : at;
  }

  /** When to renew, given the CA's window: a random time within it, not before {@code now}. */
  Instant renewAt(Window window, Instant now) {
    if (!window.end().isAfter(now)) {
      return now;
    }
    Instant from = window.start().isAfter(now) ? window.start() : now;
    return from.plus(fraction(Duration.between(from, window.end())));
  }

  /**
   * When to look again before renewing at {@code renewAt}: then, or, when the time came from the
   * CA's window ({@code fromWindow}), after {@link #ARI_POLL} if that is sooner, to read the window
   * again (the CA may move it: a revocation coming, say).
   */
  static Instant wakeAt(Instant renewAt, boolean fromWindow, Instant now) {
    Instant poll = now.plus(ARI_POLL);
    return fromWindow && poll.isBefore(renewAt) ? poll : renewAt;
  }

  /**
   * When to try again after {@code failures} failures in a row (1 after the first); not before the
   * CA's {@code retryAfter} when it gave one (null: none).
   */
  Instant retryAt(int failures, Instant now, Instant retryAfter) {
    if (failures < 1) {
      throw new IllegalArgumentException("failures: " + failures);
    }
    Duration delay = FIRST_RETRY;
    for (int i = 1; i < failures && delay.compareTo(LAST_RETRY) < 0; i++) {
      delay = delay.multipliedBy(2);
    }
    if (delay.compareTo(LAST_RETRY) > 0) {
      delay = LAST_RETRY;
    }
    // ±10%: factor in [0.9, 1.1).
    long millis = Math.round(delay.toMillis() * (0.9 + 0.2 * random.nextDouble()));
    Instant at = now.plusMillis(millis);
    return retryAfter != null && retryAfter.isAfter(at) ? retryAfter : at;
  }

  /** A random part of {@code span}: from zero (inclusive) to all of it (exclusive). */
  private Duration fraction(Duration span) {
    return Duration.ofMillis((long) (span.toMillis() * random.nextDouble()));
  }
}
