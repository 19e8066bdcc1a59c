package dev.berth.config;

import static dev.berth.config.Types.quote;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import java.time.DateTimeException;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A TOML syntax error as one line that says where and what was expected: {@code berth.toml:4:9:
 * syntax error: newline not permitted here (expected: a value after '=', e.g. "text", 3, true)}.
 *
 * <p>Jackson's TOML parser says what it found, not what it wanted; the line's text up to the error
 * tells which of its cases it was.
 */
final class SyntaxError {

  private static final String VALUE =
      "a value: \"text\" in quotes, a number, true or false, [a list] or { a table }";

  private static final Pattern UNEXPECTED =
      Pattern.compile("Unexpected token: Got ([A-Z_]+), expected (.+)");
  private static final Pattern KEY_THEN_SPACE = Pattern.compile("\\s*[A-Za-z0-9_.\"'-]+\\s*");
  private static final Pattern KEY_AT_START = Pattern.compile("\\s*([^=#\\[]+?)\\s*=.*");
  private static final Pattern HEADER = Pattern.compile("\\s*(\\[\\[?[^\\]]*\\]\\]?).*");

  private static final Map<String, String> TOKENS =
      Map.ofEntries(
          Map.entry("STD_TABLE_OPEN", "["),
          Map.entry("STD_TABLE_CLOSE", "]"),
          Map.entry("ARRAY_TABLE_OPEN", "[["),
          Map.entry("ARRAY_TABLE_CLOSE", "]]"),
          Map.entry("INLINE_TABLE_OPEN", "{"),
          Map.entry("INLINE_TABLE_CLOSE", "}"),
          Map.entry("ARRAY_OPEN", "["),
          Map.entry("ARRAY_CLOSE", "]"),
          Map.entry("KEY_VAL_SEP", "="),
          Map.entry("DOT_SEP", "."),
          Map.entry("COMMA", ","));

  private SyntaxError() {}

  /** The problem Jackson reported in {@code text} (the file named {@code name}), as one line. */
  static String of(String name, String text, JacksonException e) {
    String message = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
    message = message.lines().findFirst().orElse("").strip();
    JsonLocation at = e.getLocation();
    if (at == null || at.getLineNr() < 1) {
      return name + ": syntax error: " + lowerFirst(message.isEmpty() ? "invalid TOML" : message);
    }
    int line = at.getLineNr();
    int column = Math.max(at.getColumnNr(), 1);
    String lineText = lineText(text, line);
    String before = lineText.substring(0, Math.min(column - 1, lineText.length()));
    String rest = lineText.substring(Math.min(column - 1, lineText.length()));
    if (message.equals("Duplicate key")) {
      // Found once the value is read: Jackson is on a later line, the key on the last one before.
      int keyLine = lastContentLine(text, column == 1 ? line - 1 : line);
      Matcher key = KEY_AT_START.matcher(lineText(text, keyLine));
      String what = key.matches() ? key.group(1) + " is set twice" : "a key is set twice";
      return name
          + ":"
          + keyLine
          + ": syntax error: "
          + what
          + " (expected: each key once in its table)";
    }
    String[] whatExpected = explain(message, before, rest, lineText);
    return name
        + ":"
        + line
        + ":"
        + column
        + ": syntax error: "
        + whatExpected[0]
        + (whatExpected[1] == null ? "" : " (expected: " + whatExpected[1] + ")");
  }

  /** A date or time that TOML's grammar allows but the calendar does not (2021-13-40). */
  static String of(String name, String text, DateTimeException e) {
    String value = e instanceof DateTimeParseException p ? p.getParsedString() : null;
    int at = value == null ? -1 : text.indexOf(value);
    String where =
        at < 0
            ? name
            : name + ":" + (1 + text.substring(0, at).chars().filter(c -> c == '\n').count());
    return where
        + ": syntax error: invalid date or time"
        + (value == null ? "" : " " + value)
        + " (expected: a real date and time like 1979-05-27T07:32:00Z, or \"text\" in quotes)";
  }

  /** {what, expected} for Jackson's message, given the line's text before and from the error. */
  private static String[] explain(String message, String before, String rest, String lineText) {
    String trimmed = before.strip();
    switch (message) {
      case "Newline not permitted here" -> {
        Character quote = openQuote(before);
        if (quote != null) {
          return new String[] {
            "text not closed on its line",
            "a closing "
                + quote
                + " before the end of the line; \"\"\" (three quotes) starts text over several"
                + " lines"
          };
        }
        if (trimmed.endsWith("=")) {
          return new String[] {
            "newline not permitted here", "a value after '=', e.g. \"text\", 3, true"
          };
        }
        if (depth(before, '{', '}') > 0) {
          return new String[] {
            "newline not permitted here",
            "} to close the inline table on the same line; a [table] header takes several lines"
          };
        }
        if (trimmed.startsWith("[")) {
          return new String[] {
            "newline not permitted here", "] to close the table header, as in [apps.web]"
          };
        }
        return new String[] {"newline not permitted here", "key = value"};
      }
      case "Unknown token" -> {
        String found = "unexpected " + quote(word(rest.stripLeading()));
        if (trimmed.endsWith("=") || trimmed.endsWith("[") || trimmed.endsWith(",")) {
          return new String[] {found, VALUE};
        }
        boolean spaced = before.endsWith(" ") || rest.startsWith(" ");
        if (spaced && KEY_THEN_SPACE.matcher(before).matches()) {
          return new String[] {found, "= after the key; a key with spaces goes in quotes"};
        }
        return new String[] {found, "key = value, a [table] header or a # comment"};
      }
      case "More data after value has already ended. Invalid value preceding this position?" -> {
        return new String[] {
          "unexpected " + quote(word(rest)) + " after the value",
          "the end of the line or a # comment after a value (one key = value per line), a"
              + " number without a stray character, or \"text\" in quotes"
        };
      }
      case "Premature end of file" -> {
        return new String[] {
          "the file ends inside a value", "the closing ] of a list or \"\"\" of a text"
        };
      }
      case "Table redefined" -> {
        Matcher header = HEADER.matcher(lineText);
        String table = header.matches() ? header.group(1) : "a table";
        return new String[] {
          table + " is defined twice", "each [table] header once; add its keys under the first"
        };
      }
      case "Trailing comma not permitted for inline tables" -> {
        return new String[] {"a comma before }", "no comma after the last key of { ... }"};
      }
      case "Unknown escape sequence" -> {
        return new String[] {
          "unknown escape sequence",
          "\\\" \\\\ \\n \\t \\r \\b \\f \\uXXXX or \\UXXXXXXXX; 'single quotes' keep"
              + " backslashes as they are"
        };
      }
      case "Illegal control character" -> {
        return new String[] {
          "a control character in text", "an escape such as \\t instead of the character"
        };
      }
      case "Object already closed" -> {
        return new String[] {
          "a key added to an inline table after it was closed",
          "every key of a { ... } table inside its braces"
        };
      }
      default -> {
        // Below.
      }
    }
    if (message.startsWith("Zero-prefixed ints")) {
      return new String[] {"a number with a leading zero", "a number without leading zeros"};
    }
    if (message.startsWith("Path into existing non-")) {
      return new String[] {
        "a table or list under a name that already has a value",
        "each name either a value or a table, once"
      };
    }
    Matcher m = UNEXPECTED.matcher(message);
    if (m.matches()) {
      String got = TOKENS.getOrDefault(m.group(1), m.group(1).toLowerCase(Locale.ROOT));
      String wanted =
          switch (m.group(2)) {
            case "key or table" -> "key = value or a [table] header";
            case "quoted or unquoted key" -> "a key";
            case "value" -> VALUE;
            case "comma or array end" -> ", or ]";
            case "comma or table end" -> ", or }";
            default -> TOKENS.getOrDefault(m.group(2), m.group(2).toLowerCase(Locale.ROOT));
          };
      return new String[] {"unexpected " + got, wanted};
    }
    return new String[] {lowerFirst(message), null};
  }

  /** The quote character of a string left open in {@code s}, or null. */
  private static Character openQuote(String s) {
    Character open = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (open == null) {
        if (c == '#') {
          return null;
        }
        if (c == '"' || c == '\'') {
          open = c;
        }
      } else if (open == '"' && c == '\\') {
        i++;
      } else if (c == open) {
        open = null;
      }
    }
    return open;
  }

  /** How many more {@code open} than {@code close} characters {@code s} has outside strings. */
  private static int depth(String s, char open, char close) {
    int depth = 0;
    Character quote = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (quote != null) {
        if (quote == '"' && c == '\\') {
          i++;
        } else if (c == quote) {
          quote = null;
        }
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == open) {
        depth++;
      } else if (c == close) {
        depth--;
      }
    }
    return depth;
  }

  /** The token at the start of {@code s}: up to a space or a separator, at least a character. */
  private static String word(String s) {
    int end = 0;
    while (end < s.length() && " \t,]}#".indexOf(s.charAt(end)) < 0) {
      end++;
    }
    return s.isEmpty() ? "end of line" : s.substring(0, Math.max(end, 1));
  }

  private static String lineText(String text, int line) {
    String[] lines = text.split("\r?\n", -1);
    return line >= 1 && line <= lines.length ? lines[line - 1] : "";
  }

  /** The last line at or before {@code line} with something other than blanks or a comment. */
  private static int lastContentLine(String text, int line) {
    for (int n = line; n >= 1; n--) {
      String s = lineText(text, n).strip();
      if (!s.isEmpty() && !s.startsWith("#")) {
        return n;
      }
    }
    return Math.max(line, 1);
  }

  private static String lowerFirst(String s) {
    return s.isEmpty() ? s : Character.toLowerCase(s.charAt(0)) + s.substring(1);
  }
}
