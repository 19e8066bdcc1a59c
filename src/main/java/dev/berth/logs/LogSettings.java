package dev.berth.logs;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;

/**
 * Where app and berth logs go and how much of them is kept.
 *
 * @param dir the log directory; created with mode 0700 if it does not exist
 * @param maxBytes a file is rotated before a write would take it past this size
 * @param keep how many rotated files ({@code app.log.1} ... {@code app.log.N}) are kept; 0 keeps
 *     none
 * @param ringLines how many of the latest lines of each app are kept in memory for {@code logs}
 */
public record LogSettings(Path dir, long maxBytes, int keep, int ringLines) {

  public static final long DEFAULT_MAX_BYTES = 10L * 1024 * 1024;
  public static final int DEFAULT_KEEP = 5;
  public static final int DEFAULT_RING_LINES = 1000;

  public LogSettings {
    requireNonNull(dir, "dir");
    // The config layer reports bad values with file:line; these only catch a programming error.
    if (maxBytes < 1) {
      throw new IllegalArgumentException("maxBytes must be >= 1: " + maxBytes);
    }
    if (keep < 0) {
      throw new IllegalArgumentException("keep must be >= 0: " + keep);
    }
    if (ringLines < 0) {
      throw new IllegalArgumentException("ringLines must be >= 0: " + ringLines);
    }
  }

  /** 10 MiB files, 5 rotated files kept, the last 1000 lines of each app in memory. */
  public static LogSettings defaults(Path dir) {
    return new LogSettings(dir, DEFAULT_MAX_BYTES, DEFAULT_KEEP, DEFAULT_RING_LINES);
  }
}
