package dev.berth.daemon;

import static java.util.Objects.requireNonNull;

import dev.berth.logs.Logs;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * The output of a berth started by {@code berth up --detach}: its standard output is a file ({@code
 * log/berth.out}) that the command that started it shows while it starts. Once berth serves, its
 * lines go to its own log only ({@link OwnLog}, rotated): written on to that file, they would fill
 * the disk over the months, as a cron-started berth's {@code berth.out} did.
 */
final class BackgroundConsole extends OutputStream {

  private volatile OutputStream target;

  BackgroundConsole(OutputStream target) {
    this.target = requireNonNull(target, "target");
  }

  /** A print stream on this console, flushed at each line. */
  PrintStream stream() {
    return new PrintStream(this, true);
  }

  /**
   * berth's last line there, before its pid file names it: the command that started it shows it as
   * it returns.
   */
  static void announce(PrintStream out, Path stateDir) {
    out.println(
        "berth: serving in the background, pid "
            + ProcessHandle.current().pid()
            + " (in "
            + stateDir.resolve(PidFile.NAME).toAbsolutePath()
            + "); from now on its lines go to "
            + stateDir.resolve("log").resolve(Logs.BERTH + ".log").toAbsolutePath()
            + " only");
  }

  /** From now on, nothing more is written to the file: berth serves. */
  synchronized void stop() {
    try {
      target.flush();
    } catch (IOException e) {
      // Nothing more goes there anyway.
    }
    target = OutputStream.nullOutputStream();
  }

  @Override
  public synchronized void write(int b) throws IOException {
    target.write(b);
  }

  @Override
  public synchronized void write(byte[] bytes, int offset, int length) throws IOException {
    target.write(bytes, offset, length);
  }

  @Override
  public synchronized void flush() throws IOException {
    target.flush();
  }
}
