package dev.berth.config;

import static dev.berth.config.Types.show;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads the keys of one config file's tables through their declarations, and collects every problem
 * with its line, so that all of them are reported at once, in file order.
 */
final class TableReader {

  /** A problem and the line it is on. */
  private record Problem(int line, String text) {}

  private final String name;
  private final Path baseDir;
  private final KeyLines keyLines;
  private final List<Problem> problems = new ArrayList<>();

  /**
   * @param name the file's name, as messages show it
   * @param baseDir the directory relative paths start from
   */
  TableReader(String name, Path baseDir, KeyLines keyLines) {
    this.name = name;
    this.baseDir = baseDir;
    this.keyLines = keyLines;
  }

  Path baseDir() {
    return baseDir;
  }

  int line(String path) {
    return keyLines.line(path);
  }

  /** The value of {@code key}; its declared fallback if absent or rejected. */
  <T> T get(Table t, Key<T> key) {
    return get(t, key, key.fallback(), baseDir);
  }

  /** The value of {@code key}; {@code fallback} if absent or rejected. */
  <T> T get(Table t, Key<T> key, T fallback) {
    return get(t, key, fallback, baseDir);
  }

  /** The value of {@code key}, relative paths starting at {@code base}. */
  <T> T get(Table t, Key<T> key, T fallback, Path base) {
    return read(t, key.name(), key.type(), fallback, base);
  }

  /** The value of a key that is not declared (an env variable, a process type). */
  <T> T read(Table t, String key, ValueType<T> type, T fallback) {
    return read(t, key, type, fallback, baseDir);
  }

  private <T> T read(Table t, String key, ValueType<T> type, T fallback, Path base) {
    JsonNode value = t.get(key);
    if (value == null) {
      return fallback;
    }
    try {
      return type.read(value, base);
    } catch (Rejected r) {
      reject(t.child(key), value, r.expected());
      return fallback;
    }
  }

  /** The value of {@code key}; null if missing or rejected. */
  <T> T require(Table t, Key<T> key) {
    return require(t, key, key.type().expected());
  }

  /** As {@link #require(Table, Key)}, saying {@code expected} when the key is missing. */
  <T> T require(Table t, Key<T> key, String expected) {
    if (!t.has(key)) {
      // The key has no line: point at the table that should have had it.
      report(line(t.path()), t.child(key.name()), "missing (expected: " + expected + ")");
      return null;
    }
    return get(t, key, null);
  }

  /** The table under {@code key}, or null if it has none (or it is not a table: reported). */
  Table table(Table parent, Key<JsonNode> key) {
    JsonNode value = get(parent, key, null);
    return value == null ? null : new Table(parent.child(key.name()), value);
  }

  /** {@code value} as a table, or null after reporting that it is not one. */
  Table table(String path, JsonNode value, String expected) {
    if (!value.isObject()) {
      reject(path, value, expected);
      return null;
    }
    return new Table(path, value);
  }

  /**
   * The tables of an array of tables under {@code key} (none if absent); elements that are not
   * tables are reported on their own and left out, so that the good ones are still checked.
   */
  List<Table> tables(Table parent, Key<JsonNode> key) {
    JsonNode array = get(parent, key, null);
    List<Table> tables = new ArrayList<>();
    if (array == null) {
      return tables;
    }
    String path = parent.child(key.name());
    for (int i = 0; i < array.size(); i++) {
      Table t = table(KeyLines.index(path, i), array.get(i), key.type().expected());
      if (t != null) {
        tables.add(t);
      }
    }
    return tables;
  }

  /** Reports each key of {@code t} that {@code section} does not declare. */
  void onlyKeys(Table t, Section section) {
    List<String> allowed = section.names();
    for (Map.Entry<String, JsonNode> entry : t.node().properties()) {
      String key = entry.getKey();
      if (!allowed.contains(key)) {
        Optional<String> meant = ClosestKey.among(key, allowed);
        report(
            t.child(key),
            meant.isPresent()
                ? "unknown key (did you mean " + meant.get() + "?)"
                : "unknown key (expected one of: " + String.join(", ", allowed) + ")");
      }
    }
  }

  /** Reports each key of a route that may only stand next to one it lacks ("app", "static"). */
  void onlyWith(Table route) {
    for (Key<?> key : Section.ROUTES.keys()) {
      String sibling = key.onlyWith();
      if (sibling != null && route.has(key) && route.get(sibling) == null) {
        reject(
            route.child(key.name()),
            route.get(key.name()),
            "only on a route with " + sibling + " = ...");
      }
    }
  }

  void reject(String path, JsonNode value, String expected) {
    report(path, show(value) + " (expected: " + expected + ")");
  }

  void report(String path, String what) {
    report(line(path), path, what);
  }

  void report(int line, String path, String what) {
    problems.add(new Problem(line, name + ":" + line + ": " + path + ": " + what));
  }

  /** Throws every problem found, in line order; nothing when there was none. */
  void throwProblems() throws ConfigException {
    if (!problems.isEmpty()) {
      throw new ConfigException(
          problems.stream()
              .sorted(Comparator.comparingInt(Problem::line))
              .map(Problem::text)
              .toList());
    }
  }
}
