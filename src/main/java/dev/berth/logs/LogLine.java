package dev.berth.logs;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * One line of output: what a process (or berth itself) said, when, and which instance said it.
 *
 * @param time when berth read the line
 * @param app the app whose log it belongs to ({@code berth} for berth's own log)
 * @param source who wrote it: an instance such as {@code web.1}, or {@code berth}
 * @param text the line, without its line terminator
 */
public record LogLine(Instant time, String app, String source, String text) {

  // Fixed width (always three fraction digits) so files sort and align; ISO_INSTANT drops zeros.
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  public LogLine {
    requireNonNull(time, "time");
    requireNonNull(app, "app");
    requireNonNull(source, "source");
    requireNonNull(text, "text");
  }

  /**
   * The line as written to a log file: {@code 2026-11-24T19:35:03.123Z web.1 | text}. Text with
   * line breaks in it (berth's own multi-line messages) gives one prefixed file line per line, so
   * every line of a file can be parsed the same way.
   */
  public String format() {
    String prefix = TIME.format(time) + " " + source + " | ";
    if (text.indexOf('\n') < 0 && text.indexOf('\r') < 0) {
      return prefix + text;
    }
    StringBuilder out = new StringBuilder();
    for (String part : text.split("\r\n|\r|\n", -1)) {
      if (!out.isEmpty()) {
        out.append('\n');
      }
      out.append(prefix).append(part);
    }
    return out.toString();
  }
}
