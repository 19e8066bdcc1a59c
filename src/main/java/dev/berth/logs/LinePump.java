package dev.berth.logs;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * Reads a process's output line by line into its app's {@link LogStream}, tagged with the instance,
 * and optionally copies each line to berth's own output as {@code web.1 | line}. Keeps the last
 * lines for error messages ("failed to start: ... last output: ...").
 *
 * <p>A line is what ends with {@code \n} (a {@code \r} before it is dropped), or what is left when
 * the output ends. A line longer than 16 KiB is cut into pieces of at most 16 KiB, at a character
 * boundary, so a process that never writes a newline cannot make berth buffer without limit. Bytes
 * that are not UTF-8 become U+FFFD; they never stop the pump.
 *
 * <p>An instance's pump may be limited to so many lines a second (a token bucket, {@link
 * LineRate}): past it, lines are still read, so the process never waits on a full pipe, but dropped
 * before anything is allocated for them, and counted. The output is read in 64 KiB chunks and split
 * with one scan for each newline, so reading a flood costs little CPU.
 */
public final class LinePump {

  private static final System.Logger LOG = System.getLogger(LinePump.class.getName());

  static final int MAX_LINE_BYTES = 16 * 1024;
  // Large reads: a flooding process is read in few system calls, and a chunk costs one clock read.
  static final int READ_BYTES = 64 * 1024;
  private static final int KEEP_LINES = 40;

  /** While lines are dropped, how often the count is reported. */
  static final long REPORT_NANOS = TimeUnit.SECONDS.toNanos(10);

  /** While dropping, how long to let the pipe fill between two reads. */
  static final long PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

  /** Output after this long without a drop reports the drops before it. */
  static final long QUIET_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final String source;
  private final LogStream stream;
  private final java.util.function.Consumer<String> copy; // null: no copy
  private final ArrayDeque<String> last = new ArrayDeque<>();
  private final LongSupplier clock;
  private final LineRate rate;
  private final Thread thread;

  // Pump thread only: the lines dropped since droppingSince (by the rate limit).
  private long droppedLines;
  private long droppingSince;
  private long lastDropAt;
  private long droppedTotal;

  private LinePump(
      String source,
      InputStream output,
      LogStream stream,
      java.util.function.Consumer<String> copy,
      int linesPerSecond,
      LongSupplier clock) {
    this.source = requireNonNull(source, "source");
    requireNonNull(output, "output");
    this.stream = requireNonNull(stream, "stream");
    this.copy = copy;
    this.clock = requireNonNull(clock, "clock");
    this.rate = new LineRate(linesPerSecond, clock.getAsLong());
    // A platform thread: a blocking read of a process pipe pins a virtual thread to its carrier,
    // and two such reads on a 2-core machine left no carrier for anything else (stopping hung).
    this.thread =
        Thread.ofPlatform()
            .daemon()
            .stackSize(256 * 1024)
            .name("output-" + source)
            .unstarted(() -> pump(output));
  }

  /**
   * Starts copying {@code output} into {@code stream} as lines from {@code source} (e.g. {@code
   * web.1}), until the output ends.
   */
  public static LinePump start(String source, InputStream output, LogStream stream) {
    return start(new LinePump(source, output, stream, null, 0, System::nanoTime));
  }

  /**
   * As {@link #start(String, InputStream, LogStream)}, and also prints each line to {@code copy} as
   * {@code source | line} (berth in the foreground). Unlike the log, this print blocks if {@code
   * copy} does (a terminal scrolled back, a full pipe), and the process then waits too.
   */
  public static LinePump start(
      String source, InputStream output, LogStream stream, PrintStream copy) {
    return start(source, output, stream, 0, requireNonNull(copy, "copy"));
  }

  /**
   * An instance's output: as {@link #start(String, InputStream, LogStream, PrintStream)}, with at
   * most {@code linesPerSecond} lines a second (and as many at once) kept; the rest are read and
   * dropped, and their count is logged (a {@code berth} line in the app's log, and a warning in
   * berth's own) every 10 s while dropping, at the first output after a second without drops, and
   * when the output ends.
   *
   * @param linesPerSecond the app's log_rate_limit; 0 for no limit
   * @param copy where to print each kept line as {@code source | line}; null for nowhere
   */
  public static LinePump start(
      String source, InputStream output, LogStream stream, int linesPerSecond, PrintStream copy) {
    return start(source, output, stream, linesPerSecond, copy, System::nanoTime);
  }

  /** As above, on {@code clock} (nanoseconds, as System.nanoTime). */
  static LinePump start(
      String source,
      InputStream output,
      LogStream stream,
      int linesPerSecond,
      PrintStream copy,
      LongSupplier clock) {
    java.util.function.Consumer<String> print =
        copy == null ? null : line -> copy.println(source + " | " + line);
    return start(new LinePump(source, output, stream, print, linesPerSecond, clock));
  }

  /**
   * As {@link #start(String, InputStream, LogStream)}, and also hands each line to {@code also} (a
   * deploy's build output, streamed to the CLI); a slow {@code also} makes the process wait.
   */
  public static LinePump start(
      String source,
      InputStream output,
      LogStream stream,
      java.util.function.Consumer<String> also) {
    return start(
        new LinePump(source, output, stream, requireNonNull(also, "also"), 0, System::nanoTime));
  }

  private static LinePump start(LinePump pump) {
    pump.thread.start();
    return pump;
  }

  /**
   * The last lines the process wrote, waiting up to 500 ms for its output to be read to the end.
   */
  public List<String> lastLines() {
    awaitEnd(Duration.ofMillis(500));
    synchronized (last) {
      return List.copyOf(last);
    }
  }

  /** Waits until the output has ended and every line was handed to the stream. */
  public boolean awaitEnd(Duration timeout) {
    try {
      return thread.join(timeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return !thread.isAlive();
    }
  }

  /**
   * Lines dropped by the rate limit so far, reported or not; read once the output has ended (see
   * {@link #awaitEnd}), it is the final count.
   */
  long droppedLines() {
    return droppedTotal + droppedLines;
  }

  private void pump(InputStream output) {
    byte[] buffer = new byte[READ_BYTES];
    byte[] line = new byte[MAX_LINE_BYTES];
    int length = 0;
    boolean inLine = false; // a line has begun (its token was asked for)
    boolean keep = true; // whether the line in hand passed the limit
    try (output) {
      int n;
      while ((n = output.read(buffer)) != -1) {
        long now = clock.getAsLong();
        rate.refill(now);
        long droppedBefore = droppedLines;
        int i = 0;
        while (i < n) {
          if (!inLine) {
            inLine = true;
            keep = rate.take();
            if (!keep) {
              if (droppedLines == 0) {
                droppingSince = now;
              }
              droppedLines++;
            }
          }
          int newline = indexOfNewline(buffer, i, n);
          int end = newline < 0 ? n : newline;
          if (keep) {
            // A dropped line is skipped whole: no copy, no String, no LogLine.
            length = add(line, length, buffer, i, end);
          }
          if (newline < 0) {
            break;
          }
          if (keep) {
            emit(line, length > 0 && line[length - 1] == '\r' ? length - 1 : length);
          }
          length = 0;
          inLine = false;
          i = newline + 1;
        }
        if (droppedLines != droppedBefore) {
          lastDropAt = now;
          // Over its limit: let the pipe fill before reading again. A flood written in 4-8 KiB
          // writes and read as it comes costs a wake-up and a read per write, most of a core at
          // ~50 MB/s; read a full pipe at a time instead. Only a process already dropping lines
          // may then wait (at most PAUSE, at a pace of 64 KiB per PAUSE, well above any limit).
          LockSupport.parkNanos(PAUSE_NANOS);
        }
        // Every REPORT_NANOS while dropping; and once output comes after a quiet second, so that a
        // flood that stopped is told soon. Not on any chunk without drops: at the limit, chunks
        // alternate between dropping and not, and each would be reported.
        if (droppedLines > 0
            && (now - droppingSince >= REPORT_NANOS
                || (droppedLines == droppedBefore && now - lastDropAt >= QUIET_NANOS))) {
          reportDropped(now);
        }
      }
    } catch (IOException e) {
      // The process closed its output (it exited, or berth closed the pipe): nothing more to read.
    } catch (RuntimeException e) {
      // Nothing should get here; if something does, the line in hand still goes out below.
      stream.append(
          new LogLine(
              Instant.now(), stream.app(), Logs.BERTH, "output of " + source + " lost: " + e));
    }
    if (keep && length > 0) {
      emit(line, length);
    }
    if (droppedLines > 0) {
      reportDropped(clock.getAsLong());
    }
  }

  private static int indexOfNewline(byte[] bytes, int from, int to) {
    for (int i = from; i < to; i++) {
      if (bytes[i] == '\n') {
        return i;
      }
    }
    return -1;
  }

  /**
   * Appends {@code bytes[from, to)} to the line in hand; a line that would pass {@link
   * #MAX_LINE_BYTES} goes out in pieces first. Returns the new length.
   */
  private int add(byte[] line, int length, byte[] bytes, int from, int to) {
    while (from < to) {
      if (length == line.length) {
        int cut = boundary(line, length);
        emit(line, cut);
        System.arraycopy(line, cut, line, 0, length - cut);
        length -= cut;
      }
      int k = Math.min(to - from, line.length - length);
      System.arraycopy(bytes, from, line, length, k);
      length += k;
      from += k;
    }
    return length;
  }

  private void reportDropped(long now) {
    String text =
        String.format(
            Locale.ROOT,
            "%s: %,d line(s) dropped in %s s (log_rate_limit %d/s)",
            source,
            droppedLines,
            seconds(now - droppingSince),
            rate.perSecond());
    droppedTotal += droppedLines;
    droppedLines = 0;
    stream.append(new LogLine(Instant.now(), stream.app(), Logs.BERTH, text));
    LOG.log(System.Logger.Level.WARNING, stream.app() + ": " + text);
  }

  /** {@code 10}, {@code 2.5}: tenths only where they say something. */
  static String seconds(long nanos) {
    long tenths = Math.max(0, nanos) / 100_000_000L;
    return tenths % 10 == 0 || tenths >= 100
        ? Long.toString(Math.round(tenths / 10.0))
        : tenths / 10 + "." + tenths % 10;
  }

  /**
   * Where to cut a full line so that no UTF-8 sequence is split: before the last sequence if it is
   * incomplete. Bytes that are not UTF-8 anyway are cut anywhere.
   */
  static int boundary(byte[] bytes, int length) {
    // Step back over up to 3 continuation bytes (10xxxxxx) to the byte that leads them.
    int start = length - 1;
    while (start > 0 && length - start < 4 && (bytes[start] & 0xC0) == 0x80) {
      start--;
    }
    int lead = bytes[start] & 0xFF;
    int needed = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    boolean incomplete = lead >= 0xC0 && lead < 0xF8 && length - start < needed;
    return incomplete && start > 0 ? start : length;
  }

  private void emit(byte[] bytes, int length) {
    // new String replaces malformed input with U+FFFD; it never throws.
    String text = new String(bytes, 0, length, StandardCharsets.UTF_8);
    synchronized (last) {
      if (last.size() == KEEP_LINES) {
        last.removeFirst();
      }
      last.addLast(text);
    }
    stream.append(new LogLine(Instant.now(), stream.app(), source, text));
    if (copy != null) {
      copy.accept(text);
    }
  }
}
