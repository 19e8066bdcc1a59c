package dev.berth.config;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;

/**
 * What a key's value may be: its name in the reference ("duration"), what an error message says was
 * expected, and how a TOML value becomes a Java value.
 *
 * @param name the type as docs/configuration.md shows it
 * @param expected the {@code (expected: ...)} text of a rejected value; a reader may add a detail
 *     after it ("an existing directory; /srv/x does not exist")
 * @param reader turns a TOML value into a Java value, or rejects it
 */
record ValueType<T>(String name, String expected, Reader<T> reader) {

  ValueType {
    requireNonNull(name, "name");
    requireNonNull(expected, "expected");
    requireNonNull(reader, "reader");
  }

  /**
   * Reads one value.
   *
   * @param base the directory relative paths start from: the config file's, or the app's
   */
  T read(JsonNode value, Path base) throws Rejected {
    return reader.read(value, base);
  }

  /** Turns one TOML value into a Java value, or rejects it. */
  @FunctionalInterface
  interface Reader<T> {
    T read(JsonNode value, Path base) throws Rejected;
  }

  /** A reader that needs no directory. */
  @FunctionalInterface
  interface Plain<T> {
    T read(JsonNode value) throws Rejected;
  }

  static <T> ValueType<T> of(String name, String expected, Plain<T> reader) {
    requireNonNull(reader, "reader");
    return new ValueType<>(name, expected, (value, base) -> reader.read(value));
  }
}
