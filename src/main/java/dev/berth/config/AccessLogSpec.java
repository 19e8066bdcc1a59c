package dev.berth.config;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;

/**
 * Where and how requests are logged: globally ([access_log]) or for one route.
 *
 * @param enabled false to log nothing
 * @param path the log file (absolute)
 * @param format nginx "combined" (with upstream address and time appended) or one JSON object per
 *     line
 */
public record AccessLogSpec(boolean enabled, Path path, Format format) {

  public AccessLogSpec {
    requireNonNull(path, "path");
    requireNonNull(format, "format");
  }

  public enum Format {
    COMBINED,
    JSON
  }
}
