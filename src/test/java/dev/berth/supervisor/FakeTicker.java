package dev.berth.supervisor;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Time that moves only when the test says so: {@link #advance} runs the tasks that fell due, on the
 * test's thread; a sleep moves the clock by its length at once.
 */
final class FakeTicker implements Ticker {

  private static final Duration HANDOFF = Duration.ofSeconds(20);

  private record Timer(long due, Runnable task) {}

  private long now; // guarded by this
  private final List<Timer> timers = new ArrayList<>(); // guarded by this
  private final BlockingQueue<Duration> scheduled = new LinkedBlockingQueue<>();

  @Override
  public synchronized long nanoTime() {
    return now;
  }

  @Override
  public void schedule(Duration delay, Runnable task) {
    synchronized (this) {
      timers.add(new Timer(now + delay.toNanos(), task));
    }
    scheduled.add(delay);
  }

  @Override
  public void sleep(Duration duration) {
    advance(duration);
  }

  /** Moves the clock on, and runs what fell due. */
  void advance(Duration duration) {
    List<Runnable> due = new ArrayList<>();
    synchronized (this) {
      now += duration.toNanos();
      timers.removeIf(
          timer -> {
            if (timer.due() - now <= 0) {
              due.add(timer.task());
              return true;
            }
            return false;
          });
    }
    due.forEach(Runnable::run);
  }

  /** The delay of the next task scheduled, waited for. */
  Duration nextScheduled() throws InterruptedException {
    Duration delay = scheduled.poll(HANDOFF.toMillis(), TimeUnit.MILLISECONDS);
    if (delay == null) {
      throw new AssertionError("nothing scheduled within " + HANDOFF.toSeconds() + " s");
    }
    return delay;
  }

  /** Tasks scheduled and not yet due. */
  synchronized int pending() {
    return timers.size();
  }
}
