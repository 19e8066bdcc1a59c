package dev.berth.daemon;

import static java.util.Objects.requireNonNull;

import dev.berth.logs.LogStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.logging.ConsoleHandler;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * berth's own log ({@code <state_dir>/log/berth.log}): what the daemon prints and what its
 * components log (warnings, errors), besides berth's output, so that a berth started at boot leaves
 * a record even when nobody reads its output.
 */
final class OwnLog implements AutoCloseable {

  private static final String SOURCE = "berth";

  private final LogStream stream;
  private final Handler handler;

  /**
   * Where log records are printed besides the log, for a berth in the background; in the
   * foreground, null: the root logger's ConsoleHandler prints them to standard error.
   */
  private volatile PrintStream console;

  private OwnLog(LogStream stream) {
    this.stream = requireNonNull(stream, "stream");
    SimpleFormatter formatter = new SimpleFormatter();
    this.handler =
        new Handler() {
          @Override
          public void publish(LogRecord record) {
            if (isLoggable(record)) {
              String line = formatter.format(record);
              stream.append(SOURCE, line.stripTrailing());
              PrintStream copy = console;
              if (copy != null) {
                copy.print(line);
              }
            }
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    Logger.getLogger("").addHandler(handler);
  }

  /** Starts copying log records into {@code stream}. */
  static OwnLog start(LogStream stream) {
    return new OwnLog(stream);
  }

  /** {@code out}, with each line also written to berth's log. */
  PrintStream tee(PrintStream out) {
    return new PrintStream(out, true) {
      @Override
      public void println(String line) {
        super.println(line);
        stream.append(SOURCE, line);
      }
    };
  }

  /**
   * For a berth started by {@code berth up --detach}: log records are printed to {@code console}
   * instead of the JVM's standard error, and whatever writes to {@code System.out} or {@code
   * System.err} (a stack trace nobody caught) goes to berth's log, line by line, and to {@code
   * console}. The JVM's standard output and error then get only what the JVM itself writes (a
   * crash, running out of memory), so the file they point at stays small.
   */
  void takeOverStandardStreams(PrintStream console) {
    Logger root = Logger.getLogger("");
    for (Handler each : root.getHandlers()) {
      if (each instanceof ConsoleHandler) {
        root.removeHandler(each);
      }
    }
    this.console = requireNonNull(console, "console");
    PrintStream lines = new PrintStream(new Lines(console), true, StandardCharsets.UTF_8);
    System.setOut(lines);
    System.setErr(lines);
  }

  /** Bytes written to it, as lines of berth's log (and of the console). */
  private final class Lines extends OutputStream {
    private final PrintStream console;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();

    Lines(PrintStream console) {
      this.console = console;
    }

    @Override
    public synchronized void write(int b) {
      if (b == '\n') {
        String text = line.toString(StandardCharsets.UTF_8).stripTrailing();
        line.reset();
        stream.append(SOURCE, text);
        console.println(text);
      } else {
        line.write(b);
      }
    }
  }

  @Override
  public void close() {
    Logger.getLogger("").removeHandler(handler);
  }
}
