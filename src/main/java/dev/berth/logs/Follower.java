package dev.berth.logs;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * One {@link LogStream#follow} subscription. The stream's writer hands it lines without ever
 * waiting; a thread of its own calls the consumer, which may therefore block (a control-socket
 * client on a slow link). When the consumer falls more than {@code capacity} lines behind, the
 * lines in between are skipped and it is told so by a {@code dropped N line(s)} line in their
 * place.
 */
final class Follower implements LogStream.Following {

  private static final System.Logger LOG = System.getLogger(Follower.class.getName());
  // Compared by identity: the last element a delivery thread takes.
  private static final LogLine END = new LogLine(Instant.EPOCH, "", "", "");

  private final String app;
  private final int capacity;
  private final Predicate<? super LogLine> filter;
  private final Consumer<? super LogLine> consumer;
  private final Consumer<Follower> unsubscribe;
  // One slot more than capacity: END always fits, so ending never waits for the consumer.
  private final LinkedBlockingQueue<LogLine> queue;
  private int skipped; // lines not queued since the last one that was; writer thread only
  private volatile boolean closed;

  Follower(
      String app,
      int capacity,
      Predicate<? super LogLine> filter,
      Consumer<? super LogLine> consumer,
      Consumer<Follower> unsubscribe) {
    this.app = app;
    this.capacity = capacity;
    this.filter = requireNonNull(filter, "filter");
    this.consumer = requireNonNull(consumer, "consumer");
    this.unsubscribe = unsubscribe;
    this.queue = new LinkedBlockingQueue<>(capacity + 1);
  }

  void start() {
    Thread.ofVirtual().name("berth-log-follow-" + app).start(this::deliver);
  }

  /** Queues a line if it matches, or counts it as skipped. Never blocks; one caller at a time. */
  void offer(LogLine line) {
    if (closed) {
      return;
    }
    boolean matches;
    try {
      matches = filter.test(line);
    } catch (RuntimeException e) {
      // The filter runs on the stream's writer: a broken one must not take the writer down.
      LOG.log(System.Logger.Level.WARNING, "log filter failed; following ends", e);
      close();
      return;
    }
    if (!matches) {
      return;
    }
    // The notice goes exactly where the gap is, so it needs room for itself and the line.
    int needed = skipped > 0 ? 2 : 1;
    if (queue.size() + needed > capacity) {
      skipped++;
      return;
    }
    if (skipped > 0) {
      queue.offer(
          new LogLine(
              Instant.now(),
              app,
              Logs.BERTH,
              "dropped " + skipped + " line(s) from this log: follower behind"));
      skipped = 0;
    }
    queue.offer(line);
  }

  /** The stream closed: what is queued is still delivered, then the thread ends. */
  void end() {
    queue.offer(END);
  }

  /**
   * Stops following. The consumer is not called again after this returns, except for a call that
   * was already running. Idempotent.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    unsubscribe.accept(this);
    queue.clear();
    queue.offer(END);
  }

  private void deliver() {
    try {
      while (true) {
        LogLine line = queue.take();
        if (line == END || closed) {
          return;
        }
        consumer.accept(line);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      // Typically the client went away (a write to its socket failed): nothing more to send.
      LOG.log(System.Logger.Level.DEBUG, "log follower of {0} stopped: {1}", app, e.toString());
    } finally {
      close();
    }
  }
}
