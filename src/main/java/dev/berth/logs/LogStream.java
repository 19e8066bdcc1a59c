package dev.berth.logs;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * One app's log (or berth's own): its file {@code <dir>/<app>.log}, rotated by size, and the latest
 * lines in memory for {@code berth logs} and {@code logs -f}.
 *
 * <p>{@link #append} never blocks and does no I/O, because its callers are the threads reading the
 * apps' output pipes: if they stopped reading, an app writing a log line would stop too. It puts
 * the line on a bounded queue, or counts it as dropped when the queue is full. A writer thread of
 * this stream takes everything queued, adds it to the in-memory ring and the followers, then writes
 * it to the file in one write, so the ring, {@code logs -f} and the file show the same lines in the
 * same order. Once the writer has caught up it writes, to the file and the ring, {@code dropped N
 * line(s) from web.1: ...} for the lines it never saw.
 *
 * <p>Why a writer thread per stream rather than one for all: each stream's file and rotation state
 * then belong to one thread without locks, and a rename or failing file of one app never delays
 * another's. There are few apps, and the thread sleeps while there is nothing to write.
 */
public final class LogStream implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(LogStream.class.getName());

  // Bounds how far the writer may fall behind: lines, and characters (lines are up to 16 KiB).
  static final int QUEUE_LINES = 16 * 1024;
  static final long QUEUE_CHARS = 4L * 1024 * 1024;
  static final int FOLLOW_LINES = 4 * 1024;
  // Bounds the lines between two writes when they arrive faster than they are written.
  private static final int MAX_BATCH = 4 * 1024;
  // The writer is woken by each append; this only bounds a sleep that nothing interrupts.
  private static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(1);
  // Under sustained overload the writer never catches up; report drops at least this often.
  private static final long DROP_REPORT_NANOS = TimeUnit.SECONDS.toNanos(1);
  private static final long REOPEN_NANOS = TimeUnit.SECONDS.toNanos(1);
  private static final long CLOSE_WAIT_MILLIS = 5_000;

  /** A subscription made by {@link #follow}; closing it does not throw. */
  public interface Following extends AutoCloseable {
    @Override
    void close();
  }

  /** Limits, and a hook the writer runs before each file write, which tests use to stall it. */
  record Tuning(int queueLines, long queueChars, int followLines, Runnable beforeWrite) {
    static final Tuning DEFAULT = new Tuning(QUEUE_LINES, QUEUE_CHARS, FOLLOW_LINES, () -> {});
  }

  private final String app;
  private final Path path;
  private final LogSettings settings;
  private final Tuning tuning;

  // A ConcurrentLinkedQueue plus counters rather than an ArrayBlockingQueue: appending never takes
  // a lock that the writer could hold while draining.
  private final Queue<LogLine> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger queuedLines = new AtomicInteger();
  private final AtomicLong queuedChars = new AtomicLong();
  private final Map<String, AtomicLong> queueDropsBySource = new ConcurrentHashMap<>();
  private final AtomicLong queueDrops = new AtomicLong();
  private final LongAdder dropped = new LongAdder();

  // The ring and the follower list change together under the ring's lock, so that a new follower
  // sees the backlog and then every later line, with nothing missed or repeated.
  private final ArrayDeque<LogLine> ring;
  private final List<Follower> followers = new CopyOnWriteArrayList<>();
  private boolean ended; // guarded by ring: no more lines will come

  private final Thread writer;
  private volatile boolean closing;

  // Writer thread only.
  private RotatingFile file;
  private long reopenAt;
  private IOException failure; // why the file cannot be written, while it cannot
  private long unwritten; // lines that did not reach the file since it failed
  private long queueDropsReported;
  private long dropsNoticedAt;
  private boolean dropsNoticed;

  LogStream(String app, LogSettings settings, Tuning tuning) {
    this.app = requireNonNull(app, "app");
    this.settings = requireNonNull(settings, "settings");
    this.tuning = requireNonNull(tuning, "tuning");
    this.path = settings.dir().resolve(app + ".log");
    this.ring = new ArrayDeque<>(Math.min(settings.ringLines(), 64 * 1024));
    this.reopenAt = System.nanoTime();
    // A platform thread: file writes block, and a virtual thread blocked in one holds its carrier.
    this.writer =
        Thread.ofPlatform()
            .daemon()
            .stackSize(256 * 1024)
            .name("berth-log-" + app)
            .unstarted(this::run);
    writer.start();
  }

  /** The app this stream belongs to ({@code berth} for berth's own log). */
  public String app() {
    return app;
  }

  /** The current file; rotated ones are next to it as {@code <file>.1} to {@code <file>.N}. */
  public Path file() {
    return path;
  }

  /**
   * Logs a line, later. Safe on any thread; never blocks and does no I/O. A line that does not fit
   * in the queue, or comes after {@link #close}, is dropped and counted.
   *
   * @throws IllegalArgumentException if the line is for another app
   */
  public void append(LogLine line) {
    requireNonNull(line, "line");
    if (!line.app().equals(app)) {
      throw new IllegalArgumentException("a line of " + line.app() + " in the log of " + app);
    }
    if (closing) {
      dropped.increment();
      return;
    }
    int chars = line.text().length();
    boolean linesFull = queuedLines.getAndIncrement() >= tuning.queueLines();
    boolean charsFull = queuedChars.addAndGet(chars) > tuning.queueChars();
    if (linesFull || charsFull) {
      queuedLines.decrementAndGet();
      queuedChars.addAndGet(-chars);
      queueDropsBySource.computeIfAbsent(line.source(), s -> new AtomicLong()).incrementAndGet();
      queueDrops.incrementAndGet();
      dropped.increment();
      return;
    }
    queue.offer(line);
    // Cheap when the writer is busy; when it sleeps, it writes this line at once.
    LockSupport.unpark(writer);
  }

  /** Logs {@code text} from {@code source} (an instance, or {@code berth}) as of now. */
  public void append(String source, String text) {
    append(new LogLine(Instant.now(), app, source, text));
  }

  /**
   * Lines that did not reach the file: the queue was full (the writer was behind), the stream was
   * closed, or the file could not be written. For {@code berth status}.
   */
  public long dropped() {
    return dropped.sum();
  }

  /** The last {@code n} lines in memory that match {@code filter}, oldest first. */
  public List<LogLine> tail(int n, Predicate<? super LogLine> filter) {
    requireNonNull(filter, "filter");
    if (n < 0) {
      throw new IllegalArgumentException("n must be >= 0: " + n);
    }
    List<LogLine> lines = new ArrayList<>();
    synchronized (ring) {
      for (Iterator<LogLine> it = ring.descendingIterator(); it.hasNext() && lines.size() < n; ) {
        LogLine line = it.next();
        if (filter.test(line)) {
          lines.add(line);
        }
      }
    }
    Collections.reverse(lines);
    return List.copyOf(lines);
  }

  /** Same as {@code follow(0, line -> true, consumer)}. */
  public Following follow(Consumer<? super LogLine> consumer) {
    return follow(0, line -> true, consumer);
  }

  /**
   * Calls {@code consumer} with the last {@code backlog} lines in memory that match {@code filter},
   * then with every later matching line, in order, until the returned subscription is closed.
   *
   * <p>The consumer runs on a virtual thread of its own, one line at a time, and may block (write
   * to a socket, say): appending and writing the file never wait for it. If it falls more than a
   * few thousand lines behind, the lines in between are skipped and it gets a {@code dropped N
   * line(s)} line from {@code berth} in their place. If it throws, following ends. When the stream
   * is closed it gets what was queued for it and is not called again. The filter runs on the
   * stream's writer thread and must be quick.
   */
  public Following follow(
      int backlog, Predicate<? super LogLine> filter, Consumer<? super LogLine> consumer) {
    requireNonNull(filter, "filter");
    requireNonNull(consumer, "consumer");
    if (backlog < 0) {
      throw new IllegalArgumentException("backlog must be >= 0: " + backlog);
    }
    // More than the ring holds cannot be had; bounding it also bounds the follower's queue.
    int lines = Math.min(backlog, settings.ringLines());
    Follower follower =
        new Follower(
            app, Math.max(tuning.followLines(), lines), filter, consumer, followers::remove);
    synchronized (ring) {
      for (LogLine line : tail(lines, filter)) {
        follower.offer(line);
      }
      if (ended) {
        follower.end();
      } else {
        followers.add(follower);
      }
    }
    follower.start();
    return follower;
  }

  /**
   * Writes what is queued, closes the file and stops the writer; waits up to 5 s for that (a
   * stalled disk must not hang berth's shutdown). Idempotent.
   */
  @Override
  public void close() {
    startClosing();
    if (Thread.currentThread() != writer) {
      try {
        writer.join(CLOSE_WAIT_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Tells the writer to finish, without waiting: {@link Logs} closes all streams at once. */
  void startClosing() {
    closing = true;
    LockSupport.unpark(writer);
  }

  private void run() {
    try {
      writeUntilClosed();
    } catch (RuntimeException | Error e) {
      // A bug, not an I/O failure: say so loudly, since from now on every line is dropped.
      closing = true;
      LOG.log(System.Logger.Level.ERROR, "log writer of " + app + " failed; dropping its lines", e);
    }
    // Lines that slipped in between an appender's check of closing and the last drain.
    for (LogLine line; (line = queue.poll()) != null; ) {
      dropped.increment();
    }
    closeFile();
    synchronized (ring) {
      ended = true;
      followers.forEach(Follower::end);
      followers.clear();
    }
  }

  private void writeUntilClosed() {
    List<LogLine> batch = new ArrayList<>();
    while (true) {
      boolean last = closing; // read before draining: what was appended before close() is written
      LogLine line;
      while (batch.size() < MAX_BATCH && (line = queue.poll()) != null) {
        queuedLines.decrementAndGet();
        queuedChars.addAndGet(-line.text().length());
        batch.add(line);
      }
      boolean caughtUp = queue.isEmpty();
      reportQueueDrops(batch, caughtUp);
      if (!batch.isEmpty()) {
        publish(batch);
        tuning.beforeWrite().run();
        writeFile(batch);
        batch.clear();
      }
      if (last && queue.isEmpty()) {
        break;
      }
      if (caughtUp) {
        LockSupport.parkNanos(this, IDLE_NANOS);
      }
    }
  }

  /**
   * Adds a {@code dropped N line(s) from SOURCE} line per source to the batch, once the writer has
   * caught up (so the notice comes after the lines that were queued when those were dropped), or
   * after a second of not catching up.
   */
  private void reportQueueDrops(List<LogLine> batch, boolean caughtUp) {
    if (queueDrops.get() <= queueDropsReported) {
      dropsNoticed = false;
      return;
    }
    long now = System.nanoTime();
    if (!dropsNoticed) {
      dropsNoticed = true;
      dropsNoticedAt = now;
    }
    if (!caughtUp && now - dropsNoticedAt < DROP_REPORT_NANOS) {
      return;
    }
    dropsNoticed = false;
    for (Map.Entry<String, AtomicLong> entry : queueDropsBySource.entrySet()) {
      long n = entry.getValue().getAndSet(0);
      if (n > 0) {
        queueDropsReported += n;
        batch.add(
            berthLine(
                "dropped "
                    + n
                    + " line(s) from "
                    + entry.getKey()
                    + ": log writer behind (slow disk?)"));
      }
    }
  }

  private LogLine berthLine(String text) {
    return new LogLine(Instant.now(), app, Logs.BERTH, text);
  }

  private void publish(List<LogLine> batch) {
    synchronized (ring) {
      int room = settings.ringLines();
      for (LogLine line : batch) {
        if (room > 0) {
          if (ring.size() == room) {
            ring.removeFirst();
          }
          ring.addLast(line);
        }
        for (Follower follower : followers) {
          follower.offer(line);
        }
      }
    }
  }

  private void writeFile(List<LogLine> batch) {
    if (file == null && !openFile()) {
      unwritten += batch.size();
      dropped.add(batch.size());
      return;
    }
    try {
      file.write(batch);
      IOException rotation = file.takeRotationFailure();
      if (rotation != null) {
        warn("cannot rotate " + path + ", writing on past its size limit: " + rotation);
      }
    } catch (IOException e) {
      closeFile();
      unwritten += batch.size();
      dropped.add(batch.size());
      failed(e);
    }
  }

  /**
   * @return whether the file is open; tries at most once a second after a failure
   */
  private boolean openFile() {
    if (System.nanoTime() - reopenAt < 0) {
      return false;
    }
    try {
      file = new RotatingFile(path, settings.maxBytes(), settings.keep());
    } catch (IOException | RuntimeException e) {
      failed(e instanceof IOException io ? io : new IOException(e));
      return false;
    }
    if (failure != null) {
      // The gap goes into the file itself, so a reader of the file knows lines are missing.
      List<LogLine> notice =
          List.of(
              berthLine(
                  "dropped "
                      + unwritten
                      + " line(s) from this file: cannot write "
                      + path
                      + ": "
                      + failure));
      failure = null;
      unwritten = 0;
      publish(notice);
      try {
        file.write(notice);
      } catch (IOException e) {
        closeFile();
        failed(e);
        return false;
      }
    }
    return true;
  }

  private void failed(IOException e) {
    reopenAt = System.nanoTime() + REOPEN_NANOS;
    if (failure == null) {
      failure = e;
      // In memory too: berth logs shows why the file stopped.
      publish(List.of(berthLine("cannot write " + path + ", keeping lines in memory only: " + e)));
      warn("cannot write " + path + ": " + e);
    }
  }

  private void warn(String message) {
    LOG.log(System.Logger.Level.WARNING, message);
  }

  private void closeFile() {
    if (file == null) {
      return;
    }
    try {
      file.close();
    } catch (IOException e) {
      failed(e);
    }
    file = null;
  }
}
