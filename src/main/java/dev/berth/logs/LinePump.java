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

/**
 * Reads a process's output line by line into its app's {@link LogStream}, tagged with the instance,
 * and optionally copies each line to berth's own output as {@code web.1 | line}. Keeps the last
 * lines for error messages ("failed to start: ... last output: ...").
 *
 * <p>A line is what ends with {@code \n} (a {@code \r} before it is dropped), or what is left when
 * the output ends. A line longer than 16 KiB is cut into pieces of at most 16 KiB, at a character
 * boundary, so a process that never writes a newline cannot make berth buffer without limit. Bytes
 * that are not UTF-8 become U+FFFD; they never stop the pump.
 */
public final class LinePump {

  static final int MAX_LINE_BYTES = 16 * 1024;
  private static final int KEEP_LINES = 40;

  private final String source;
  private final LogStream stream;
  private final java.util.function.Consumer<String> copy; // null: no copy
  private final ArrayDeque<String> last = new ArrayDeque<>();
  private final Thread thread;

  private LinePump(
      String source,
      InputStream output,
      LogStream stream,
      java.util.function.Consumer<String> copy) {
    this.source = requireNonNull(source, "source");
    requireNonNull(output, "output");
    this.stream = requireNonNull(stream, "stream");
    this.copy = copy;
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
    LinePump pump = new LinePump(source, output, stream, null);
    pump.thread.start();
    return pump;
  }

  /**
   * As {@link #start(String, InputStream, LogStream)}, and also prints each line to {@code copy} as
   * {@code source | line} (berth in the foreground). Unlike the log, this print blocks if {@code
   * copy} does (a terminal scrolled back, a full pipe), and the process then waits too.
   */
  public static LinePump start(
      String source, InputStream output, LogStream stream, PrintStream copy) {
    requireNonNull(copy, "copy");
    return start(source, output, stream, line -> copy.println(source + " | " + line));
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
    LinePump pump = new LinePump(source, output, stream, requireNonNull(also, "also"));
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

  private void pump(InputStream output) {
    byte[] buffer = new byte[8 * 1024];
    byte[] line = new byte[MAX_LINE_BYTES];
    int length = 0;
    try (output) {
      int n;
      while ((n = output.read(buffer)) != -1) {
        for (int i = 0; i < n; i++) {
          byte b = buffer[i];
          if (b == '\n') {
            emit(line, length > 0 && line[length - 1] == '\r' ? length - 1 : length);
            length = 0;
            continue;
          }
          if (length == line.length) {
            int cut = boundary(line, length);
            emit(line, cut);
            System.arraycopy(line, cut, line, 0, length - cut);
            length -= cut;
          }
          line[length++] = b;
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
    if (length > 0) {
      emit(line, length);
    }
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
