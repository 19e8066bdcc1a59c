package dev.berth.logs;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * All of berth's logs: one {@link LogStream} per app, made on first use, and berth's own.
 *
 * <pre>{@code
 * Logs logs = new Logs(LogSettings.defaults(dir));              // at startup
 * LinePump.start("web.1", process.getInputStream(), logs.stream("web"), out);
 * logs.berth().append("berth", "web.1 exited with code 1");
 * logs.stream("web").tail(100, line -> true);                   // berth logs web
 * logs.close();                                                  // last, after the apps stopped
 * }</pre>
 */
public final class Logs implements AutoCloseable {

  /** The name of berth's own log, and the source of the lines berth adds to an app's log. */
  public static final String BERTH = "berth";

  private final LogSettings settings;
  private final LogStream.Tuning tuning;
  private final LogStream berth;
  private final Map<String, LogStream> streams = new LinkedHashMap<>(); // guarded by this
  private boolean closed; // guarded by this

  /**
   * Creates the log directory (mode 0700) if it does not exist, and opens berth's own log.
   *
   * @throws IOException if the directory cannot be created: better to refuse to start than to run
   *     with every line going nowhere
   */
  public Logs(LogSettings settings) throws IOException {
    this(settings, LogStream.Tuning.DEFAULT);
  }

  Logs(LogSettings settings, LogStream.Tuning tuning) throws IOException {
    this.settings = requireNonNull(settings, "settings");
    this.tuning = requireNonNull(tuning, "tuning");
    if (!Files.isDirectory(settings.dir())) {
      // Output of apps holds whatever they print, secrets included: owner only.
      Files.createDirectories(
          settings.dir(),
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
    this.berth = new LogStream(BERTH, settings, tuning);
  }

  /**
   * The log of {@code app}, made (and its file opened) on first use. After {@link #close}, a closed
   * stream whose lines are all dropped.
   *
   * @throws IllegalArgumentException if the name is {@code berth} (that is berth's own log) or
   *     could not be a file name
   */
  public LogStream stream(String app) {
    requireNonNull(app, "app");
    if (app.equals(BERTH)) {
      throw new IllegalArgumentException("\"berth\" is berth's own log, not an app's");
    }
    if (app.isEmpty()
        || app.equals(".")
        || app.equals("..")
        || app.indexOf('/') >= 0
        || app.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("not a usable log name: \"" + app + "\"");
    }
    synchronized (this) {
      LogStream stream = streams.get(app);
      if (stream == null) {
        stream = new LogStream(app, settings, tuning);
        streams.put(app, stream); // even when closed: its drops still count
        if (closed) {
          stream.close();
        }
      }
      return stream;
    }
  }

  /** berth's own log, {@code <dir>/berth.log}. */
  public LogStream berth() {
    return berth;
  }

  /** Lines dropped over all logs (see {@link LogStream#dropped}). */
  public long dropped() {
    long total = berth.dropped();
    synchronized (this) {
      for (LogStream stream : streams.values()) {
        total += stream.dropped();
      }
    }
    return total;
  }

  /**
   * Writes what is queued and closes every log, berth's last. Waits up to 5 s for the apps' logs,
   * then up to 5 s for berth's. Idempotent.
   */
  @Override
  public void close() {
    List<LogStream> open;
    synchronized (this) {
      closed = true;
      open = new ArrayList<>(streams.values());
    }
    // All writers finish at once, so a stalled disk costs one close timeout, not one per app.
    open.forEach(LogStream::startClosing);
    open.forEach(LogStream::close);
    berth.close();
  }
}
