package dev.berth.config;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Where each key of a TOML text is, by the dotted path a user would write ({@code apps.web.env},
 * {@code routes[2].path}).
 *
 * <p>Jackson's TOML parser builds a tree without locations, so this scanner reads the text a second
 * time for line numbers only. It is lenient: Jackson has already rejected bad syntax, and a wrong
 * guess here costs a line number in a message, never a wrong config.
 */
final class KeyLines {

  private static final Pattern BARE_KEY = Pattern.compile("[A-Za-z0-9_-]+");

  private final Map<String, Integer> lines;

  private KeyLines(Map<String, Integer> lines) {
    this.lines = Map.copyOf(lines);
  }

  static KeyLines scan(String text) {
    requireNonNull(text, "text");
    return new KeyLines(new Scanner(text).scan());
  }

  /** The 1-based line of {@code path}, else of its nearest recorded parent, else 1. */
  int line(String path) {
    requireNonNull(path, "path");
    for (String p = path; p != null; p = parent(p)) {
      Integer line = lines.get(p);
      if (line != null) {
        return line;
      }
    }
    return 1;
  }

  /** Whether {@code path} is written in the text (not only implied by a table below it). */
  boolean written(String path) {
    return lines.containsKey(requireNonNull(path, "path"));
  }

  /** {@code parent.key}, quoting the key as TOML would when it is not a bare key. */
  static String join(String parent, String key) {
    String segment = BARE_KEY.matcher(key).matches() ? key : quote(key);
    return parent.isEmpty() ? segment : parent + "." + segment;
  }

  /** {@code parent[index]}: an element of an array or array of tables. */
  static String index(String parent, int index) {
    return parent + "[" + index + "]";
  }

  private static String quote(String key) {
    return "\"" + key.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  /** The path without its last segment, or null for a top-level key. */
  private static String parent(String path) {
    int cut = -1;
    boolean quoted = false;
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (quoted) {
        if (c == '\\') {
          i++;
        } else if (c == '"') {
          quoted = false;
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == '.' || c == '[') {
        cut = i;
      }
    }
    return cut < 0 ? null : path.substring(0, cut);
  }

  /** One pass over the text; every branch consumes at least one character, so it always ends. */
  private static final class Scanner {
    private final String s;
    private final Map<String, Integer> lines = new HashMap<>();

    /** Array-of-tables path to the number of its [[headers]] seen so far. */
    private final Map<String, Integer> arrayCounts = new HashMap<>();

    private int pos;
    private int line = 1;

    Scanner(String s) {
      this.s = s;
    }

    Map<String, Integer> scan() {
      String table = "";
      while (skipBlank()) {
        if (peek() == '[') {
          table = header();
        } else {
          keyValue(table);
        }
      }
      return lines;
    }

    /** Reads {@code [a.b]} or {@code [[a.b]]} and returns the path of the table it opens. */
    private String header() {
      int at = line;
      advance();
      boolean array = more() && peek() == '[';
      if (array) {
        advance();
      }
      List<String> keys = keys();
      while (more() && peek() == ']') {
        advance();
      }
      if (keys.isEmpty()) {
        return "";
      }
      String parent = resolve(keys.subList(0, keys.size() - 1), at);
      String path = join(parent, keys.getLast());
      if (!array) {
        lines.put(path, at);
        return path;
      }
      lines.putIfAbsent(path, at);
      String element = index(path, arrayCounts.merge(path, 1, Integer::sum) - 1);
      lines.put(element, at);
      return element;
    }

    /** Joins header keys, stepping into the latest element of arrays of tables on the way. */
    private String resolve(List<String> keys, int at) {
      String path = "";
      for (String key : keys) {
        path = join(path, key);
        Integer count = arrayCounts.get(path);
        if (count != null) {
          path = index(path, count - 1);
        }
        lines.putIfAbsent(path, at);
      }
      return path;
    }

    /** Reads {@code key = value} (also inside an inline table) below {@code table}. */
    private void keyValue(String table) {
      int at = line;
      List<String> keys = keys();
      if (keys.isEmpty()) {
        advance();
        return;
      }
      String path = table;
      for (String key : keys) {
        path = join(path, key);
        lines.putIfAbsent(path, at);
      }
      skipSpaces();
      if (more() && peek() == '=') {
        advance();
        skipSpaces();
        value(path);
      }
    }

    /** Reads a dotted key: bare, "basic" or 'literal' parts. */
    private List<String> keys() {
      List<String> keys = new ArrayList<>();
      while (true) {
        skipSpaces();
        if (!more()) {
          return keys;
        }
        char c = peek();
        if (c == '"' || c == '\'') {
          keys.add(quotedKey(c));
        } else {
          int start = pos;
          while (more() && isBareKeyChar(peek())) {
            advance();
          }
          if (pos == start) {
            return keys;
          }
          keys.add(s.substring(start, pos));
        }
        skipSpaces();
        if (!more() || peek() != '.') {
          return keys;
        }
        advance();
      }
    }

    private String quotedKey(char quote) {
      advance();
      StringBuilder key = new StringBuilder();
      while (more() && peek() != quote && peek() != '\n') {
        char c = advance();
        key.append(quote == '"' && c == '\\' && more() ? unescape() : String.valueOf(c));
      }
      if (more() && peek() == quote) {
        advance();
      }
      return key.toString();
    }

    /** The character(s) an escape stands for; the backslash is already consumed. */
    private String unescape() {
      char c = advance();
      int hexDigits = c == 'u' ? 4 : c == 'U' ? 8 : 0;
      if (hexDigits > 0 && pos + hexDigits <= s.length()) {
        String hex = s.substring(pos, pos + hexDigits);
        pos += hexDigits;
        try {
          return Character.toString(Integer.parseInt(hex, 16));
        } catch (IllegalArgumentException e) {
          return hex;
        }
      }
      return switch (c) {
        case 'n' -> "\n";
        case 't' -> "\t";
        case 'r' -> "\r";
        case 'b' -> "\b";
        case 'f' -> "\f";
        default -> String.valueOf(c);
      };
    }

    private void value(String path) {
      if (!more()) {
        return;
      }
      char c = peek();
      if (c == '"' || c == '\'') {
        if (s.startsWith(String.valueOf(c).repeat(3), pos)) {
          multiLineString(c);
        } else {
          singleLineString(c);
        }
      } else if (c == '[') {
        array(path);
      } else if (c == '{') {
        inlineTable(path);
      } else {
        // Numbers, booleans and dates; a date may contain a space ("1979-05-27 07:32:00").
        do {
          advance();
        } while (more() && ",]}#\r\n".indexOf(peek()) < 0);
      }
    }

    private void singleLineString(char quote) {
      advance();
      while (more() && peek() != quote && peek() != '\n') {
        if (advance() == '\\' && quote == '"' && more()) {
          advance();
        }
      }
      if (more() && peek() == quote) {
        advance();
      }
    }

    private void multiLineString(char quote) {
      String delimiter = String.valueOf(quote).repeat(3);
      pos += 3;
      while (more()) {
        if (s.startsWith(delimiter, pos)) {
          pos += 3;
          // Up to two quotes right before the delimiter belong to the content: """a""""".
          for (int extra = 0; extra < 2 && more() && peek() == quote; extra++) {
            advance();
          }
          return;
        }
        if (advance() == '\\' && quote == '"' && more()) {
          advance();
        }
      }
    }

    private void array(String path) {
      advance();
      int index = 0;
      while (skipBlank()) {
        char c = peek();
        if (c == ']') {
          advance();
          return;
        }
        if (c == ',') {
          advance();
          continue;
        }
        String element = index(path, index++);
        lines.put(element, line);
        value(element);
      }
    }

    private void inlineTable(String path) {
      advance();
      while (skipBlank()) {
        char c = peek();
        if (c == '}') {
          advance();
          return;
        }
        if (c == ',') {
          advance();
          continue;
        }
        keyValue(path);
      }
    }

    /** Skips whitespace, newlines and comments; false at the end of the text. */
    private boolean skipBlank() {
      while (more()) {
        char c = peek();
        if (c == '#') {
          while (more() && peek() != '\n') {
            advance();
          }
        } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
          advance();
        } else {
          return true;
        }
      }
      return false;
    }

    private void skipSpaces() {
      while (more() && (peek() == ' ' || peek() == '\t')) {
        advance();
      }
    }

    private static boolean isBareKeyChar(char c) {
      return (c >= 'A' && c <= 'Z')
          || (c >= 'a' && c <= 'z')
          || (c >= '0' && c <= '9')
          || c == '_'
          || c == '-';
    }

    private boolean more() {
      return pos < s.length();
    }

    private char peek() {
      return s.charAt(pos);
    }

    private char advance() {
      char c = s.charAt(pos++);
      if (c == '\n') {
        line++;
      }
      return c;
    }
  }
}
