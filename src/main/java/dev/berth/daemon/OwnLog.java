package dev.berth.daemon;

import static java.util.Objects.requireNonNull;

import dev.berth.logs.LogStream;
import java.io.PrintStream;
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

  private OwnLog(LogStream stream) {
    this.stream = requireNonNull(stream, "stream");
    SimpleFormatter formatter = new SimpleFormatter();
    this.handler =
        new Handler() {
          @Override
          public void publish(LogRecord record) {
            if (isLoggable(record)) {
              stream.append(SOURCE, formatter.format(record).stripTrailing());
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

  @Override
  public void close() {
    Logger.getLogger("").removeHandler(handler);
  }
}
