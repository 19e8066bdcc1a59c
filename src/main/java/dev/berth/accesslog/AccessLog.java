package dev.berth.accesslog;

import static java.util.Objects.requireNonNull;

import dev.berth.config.AccessLogSpec;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.HashMap;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * The access log: {@link #log} hands an entry over from an event loop; one writer thread formats it
 * and appends it to the spec's file.
 *
 * <p>{@code log} never blocks and does no I/O: it puts the entry on a bounded lock-free queue, or
 * drops and counts it when the queue is full. While lines come in, the writer wakes up every 100
 * ms, writes all that is queued and flushes each file once, so {@code tail -f} sees lines within
 * about 100 ms and a burst costs one write per file, not one per line. Once a second it checks
 * whether a file was renamed or deleted (logrotate without a signal) and opens a new one at the
 * path. After 100 ms with no line it rests: it wakes once a second for that check while a file is
 * open and not at all while none is (an idle server, or every access log disabled), and the next
 * line logged wakes it.
 *
 * <pre>{@code
 * AccessLog accessLog = new AccessLog(out);    // at startup
 * accessLog.log(route.accessLog(), entry);      // on the event loop, when an exchange completes
 * accessLog.reopen();                           // on SIGUSR1
 * accessLog.close();                            // at shutdown, after the edge has drained
 * }</pre>
 */
public final class AccessLog implements AutoCloseable {

  private static final int CAPACITY = 64 * 1024;
  private static final long WAKE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  private static final long ROTATION_CHECK_NANOS = TimeUnit.SECONDS.toNanos(1);
  private static final long CLOSE_WAIT_MILLIS = 2_000;
  // Bounds the time between flushes when lines arrive faster than they are written.
  private static final int MAX_BATCH = 8 * 1024;

  /** What the writer takes from the queue, in the order it was asked for. */
  private sealed interface Task {}

  private record Line(AccessLogSpec spec, AccessLogEntry entry) implements Task {}

  private record Reopen() implements Task {}

  private final int capacity;
  private final LineFormat lineFormat;
  private final PrintStream out;
  // A ConcurrentLinkedQueue plus a counter instead of an ArrayBlockingQueue: offering never takes
  // a lock that the writer could hold while draining.
  private final Queue<Task> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger queued = new AtomicInteger();
  private final LongAdder dropped = new LongAdder();
  private final Thread writer;
  private volatile boolean closing;

  /** Set by the writer while it rests: the next line logged must wake it. */
  private volatile boolean resting;

  /**
   * Starts the writer thread. Files are opened on first use.
   *
   * @param out where to report a file that cannot be written (the daemon's output)
   */
  public AccessLog(PrintStream out) {
    this(
        out,
        CAPACITY,
        ZoneId.systemDefault(),
        Thread.ofPlatform().name("berth-access-log").daemon().factory());
  }

  AccessLog(PrintStream out, int capacity, ZoneId zone, ThreadFactory threads) {
    this.out = requireNonNull(out, "out");
    this.capacity = capacity;
    this.lineFormat = new LineFormat(zone);
    this.writer = threads.newThread(this::run);
    writer.start();
  }

  /**
   * Logs one request to {@code spec}'s file, later. Safe on any thread; never blocks. Does nothing
   * if the spec is disabled; drops the entry (see {@link #dropped}) if the queue is full or the log
   * is closed.
   */
  public void log(AccessLogSpec spec, AccessLogEntry entry) {
    if (!spec.enabled()) {
      return;
    }
    requireNonNull(entry, "entry");
    if (closing) {
      dropped.increment();
      return;
    }
    if (queued.getAndIncrement() >= capacity) {
      queued.decrementAndGet();
      dropped.increment();
      return;
    }
    queue.offer(new Line(spec, entry));
    if (resting) {
      // Pairs with the writer's check of the queue after it sets resting: either it sees this
      // line, or this sees it resting.
      resting = false;
      LockSupport.unpark(writer);
    }
  }

  /**
   * Closes and reopens every file at its path, from the writer thread: entries logged before this
   * call go to the old files, later ones to the new. Call it after moving the files away
   * (logrotate, SIGUSR1). Returns at once.
   */
  public void reopen() {
    if (!closing) {
      queue.offer(new Reopen()); // not counted against the capacity: it must never be dropped
      LockSupport.unpark(writer);
    }
  }

  /**
   * Entries that were not written: the queue was full, the log was closed, or their file could not
   * be written.
   */
  public long dropped() {
    return dropped.sum();
  }

  /** Writes what is queued, closes the files and stops the writer; waits up to 2 s for that. */
  @Override
  public void close() {
    closing = true;
    LockSupport.unpark(writer);
    try {
      writer.join(CLOSE_WAIT_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void run() {
    Map<Path, LogFile> files = new HashMap<>();
    long lastRotationCheck = System.nanoTime();
    while (true) {
      boolean last = closing; // read before draining: whatever was logged before close() is written
      int written = drain(files);
      files.values().forEach(LogFile::flush);
      if (last && queue.isEmpty()) {
        break;
      }
      if (System.nanoTime() - lastRotationCheck >= ROTATION_CHECK_NANOS) {
        files.values().forEach(LogFile::reopenIfMoved);
        lastRotationCheck = System.nanoTime();
      }
      if (written == 0) {
        rest(
            files.isEmpty()
                ? Long.MAX_VALUE
                : ROTATION_CHECK_NANOS - (System.nanoTime() - lastRotationCheck));
      } else if (written < MAX_BATCH) {
        LockSupport.parkNanos(this, WAKE_NANOS);
      }
    }
    files.values().forEach(LogFile::close);
  }

  /**
   * Parks until a line is logged, reopen or close is called, or {@code nanos} pass (Long.MAX_VALUE:
   * no limit). Waking every 100 ms with nothing to write was half of an idle berth's thread
   * wake-ups (10 of 21 a second).
   */
  private void rest(long nanos) {
    resting = true;
    if (queue.isEmpty() && !closing) {
      if (nanos == Long.MAX_VALUE) {
        LockSupport.park(this);
      } else if (nanos > 0) {
        LockSupport.parkNanos(this, nanos);
      }
    }
    resting = false;
  }

  /** Writes up to MAX_BATCH queued lines, in order; @return how many. */
  private int drain(Map<Path, LogFile> files) {
    int lines = 0;
    Task task;
    while (lines < MAX_BATCH && (task = queue.poll()) != null) {
      // No record patterns here: the formatter runs on Maven's JDK 17, whose parser lacks them.
      switch (task) {
        case Line line -> {
          queued.decrementAndGet();
          lines++;
          files
              .computeIfAbsent(line.spec().path(), path -> new LogFile(path, out, dropped))
              .append(lineFormat.format(line.spec().format(), line.entry()));
        }
        case Reopen reopen -> files.values().forEach(LogFile::reopen);
      }
    }
    return lines;
  }
}
