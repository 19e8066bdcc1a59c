package dev.berth.config;

import static java.util.Objects.requireNonNull;

/**
 * One config key, declared once: everything else (reading, the unknown-key check, the key lists of
 * messages, docs/configuration.md) follows from its declaration.
 *
 * @param name as written in berth.toml
 * @param type what its value may be, and how it is read
 * @param fallback its value when absent (null when it has none, or when it depends on other values,
 *     as {@code dir})
 * @param shownDefault the default as the reference shows it: a TOML value ({@code "30s"}, {@code
 *     1}), or prose in parentheses ({@code (none)})
 * @param example a TOML value for the reference, or null for a table (its own section shows it)
 * @param doc one paragraph for the reference: what it does
 * @param processOnly an app key about running processes, refused for an app given by its upstreams
 * @param onlyWith a route key allowed only next to this one ("app" or "static"), or null
 */
record Key<T>(
    String name,
    ValueType<T> type,
    T fallback,
    String shownDefault,
    String example,
    String doc,
    boolean processOnly,
    String onlyWith) {

  Key {
    requireNonNull(name, "name");
    requireNonNull(type, "type");
    requireNonNull(shownDefault, "shownDefault");
    requireNonNull(doc, "doc");
  }

  static <T> Key<T> of(
      String name, ValueType<T> type, T fallback, String shownDefault, String example, String doc) {
    return new Key<>(name, type, fallback, shownDefault, example, oneParagraph(doc), false, null);
  }

  /** A key whose value is a table or an array of tables, described in a section of its own. */
  static <T> Key<T> table(String name, ValueType<T> type, String doc) {
    return new Key<>(name, type, null, "(none)", null, oneParagraph(doc), false, null);
  }

  /** The same key, refused for an app that berth does not run. */
  Key<T> runOnly() {
    return new Key<>(name, type, fallback, shownDefault, example, doc, true, onlyWith);
  }

  /** The same key, allowed on a route only next to {@code sibling}. */
  Key<T> onlyWith(String sibling) {
    return new Key<>(name, type, fallback, shownDefault, example, doc, processOnly, sibling);
  }

  private static String oneParagraph(String text) {
    return text.strip().replaceAll("\\s*\\n\\s*", " ");
  }

  /** Whether the reference shows the default as prose rather than as a TOML value. */
  boolean prose() {
    return shownDefault.startsWith("(");
  }
}
