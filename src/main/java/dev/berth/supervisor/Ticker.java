package dev.berth.supervisor;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The time an {@link Instance} goes by: its restart window, its backoffs and its drain. A seam, so
 * that a test drives an instance through backoff and FATAL without waiting.
 */
interface Ticker {

  /** The system's: {@link System#nanoTime}, a delayed executor, {@link Thread#sleep}. */
  Ticker SYSTEM =
      new Ticker() {
        @Override
        public long nanoTime() {
          return System.nanoTime();
        }

        @Override
        public void schedule(Duration delay, Runnable task) {
          CompletableFuture.delayedExecutor(delay.toNanos(), TimeUnit.NANOSECONDS).execute(task);
        }

        @Override
        public void sleep(Duration duration) {
          try {
            Thread.sleep(duration);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
      };

  /** Now, for measuring intervals, as {@link System#nanoTime}. */
  long nanoTime();

  /** Runs {@code task} once {@code delay} has passed, on another thread; returns at once. */
  void schedule(Duration delay, Runnable task);

  /** Waits for {@code duration} (an interrupt ends it early, the flag set). */
  void sleep(Duration duration);
}
