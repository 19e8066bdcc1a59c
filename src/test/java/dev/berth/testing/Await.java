package dev.berth.testing;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Waiting for something another thread or process makes true: polls a condition until a deadline,
 * and fails naming what was awaited (and what was last seen). The deadline bounds a test on a slow
 * machine; it is never an assertion on timing. A condition that throws counts as not yet true (a
 * port not listening yet, a file not written yet); the last exception is the failure's cause.
 */
public final class Await {

  /** Long enough for a loaded two-core machine; a test that passes never waits this long. */
  public static final Duration TIMEOUT = Duration.ofSeconds(20);

  private static final long FIRST_PAUSE_MILLIS = 5;
  private static final long MAX_PAUSE_MILLIS = 100;

  private Await() {}

  /** A condition that may throw while it cannot be checked yet. */
  @FunctionalInterface
  public interface Condition {
    boolean holds() throws Exception;
  }

  /** Something to look at, which may throw while it cannot be read yet. */
  @FunctionalInterface
  public interface Probe<T> {
    T get() throws Exception;
  }

  /** Waits up to {@link #TIMEOUT} until {@code condition} holds. */
  public static void until(String what, Condition condition) {
    until(what, TIMEOUT, condition);
  }

  /** Waits up to {@code timeout} until {@code condition} holds. */
  public static void until(String what, Duration timeout, Condition condition) {
    Objects.requireNonNull(condition, "condition");
    value(what, timeout, condition::holds, Boolean.TRUE::equals);
  }

  /**
   * Reads {@code probe} until {@code wanted} accepts what it returns, and returns that; fails with
   * the last value read after {@link #TIMEOUT}.
   */
  public static <T> T value(String what, Probe<T> probe, Predicate<? super T> wanted) {
    return value(what, TIMEOUT, probe, wanted);
  }

  /** As {@link #value(String, Probe, Predicate)}, within {@code timeout}. */
  public static <T> T value(
      String what, Duration timeout, Probe<T> probe, Predicate<? super T> wanted) {
    Objects.requireNonNull(what, "what");
    Objects.requireNonNull(probe, "probe");
    Objects.requireNonNull(wanted, "wanted");
    long deadline = System.nanoTime() + timeout.toNanos();
    long pause = FIRST_PAUSE_MILLIS;
    T last = null;
    Exception failure = null;
    while (true) {
      try {
        last = probe.get();
        failure = null;
        if (wanted.test(last)) {
          return last;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while awaiting: " + what, e);
      } catch (Exception e) {
        failure = e;
      }
      if (System.nanoTime() - deadline > 0) {
        String seen =
            failure != null
                ? "; the last check threw " + failure
                : last instanceof Boolean ? "" : "; last seen: " + last;
        throw new AssertionError(
            "awaited " + timeout.toSeconds() + " s in vain: " + what + seen, failure);
      }
      sleep(what, pause);
      pause = Math.min(MAX_PAUSE_MILLIS, pause * 2);
    }
  }

  /** Reads {@code probe} until it returns a value, and returns it. */
  public static <T> T present(String what, Probe<Optional<T>> probe) {
    return value(what, TIMEOUT, probe, Optional::isPresent).orElseThrow();
  }

  private static void sleep(String what, long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while awaiting: " + what, e);
    }
  }
}
