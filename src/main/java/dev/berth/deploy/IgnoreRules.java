package dev.berth.deploy;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What an app's folder asks a copy to leave out: the patterns of its top-level {@code
 * .berthignore}, or of its {@code .gitignore} when it has none, in gitignore's syntax (git's
 * wildmatch with pathname rules). The JDK's {@code glob:} matcher cannot stand in for it: its
 * {@code **}{@code /} needs at least one directory, {@code {}} is special to it and {@code \} is
 * not an escape there; so each pattern is translated to a regex. Nested ignore files are not read.
 */
final class IgnoreRules {

  static final String BERTHIGNORE = ".berthignore";
  static final String GITIGNORE = ".gitignore";

  /** No file: nothing is left out. */
  static final IgnoreRules NONE = new IgnoreRules(null, List.of());

  private static final Map<String, String> CLASSES =
      Map.ofEntries(
          Map.entry("alnum", "\\p{Alnum}"),
          Map.entry("alpha", "\\p{Alpha}"),
          Map.entry("blank", "\\p{Blank}"),
          Map.entry("cntrl", "\\p{Cntrl}"),
          Map.entry("digit", "\\p{Digit}"),
          Map.entry("graph", "\\p{Graph}"),
          Map.entry("lower", "\\p{Lower}"),
          Map.entry("print", "\\p{Print}"),
          Map.entry("punct", "\\p{Punct}"),
          Map.entry("space", "\\s\\x0B"),
          Map.entry("upper", "\\p{Upper}"),
          Map.entry("xdigit", "\\p{XDigit}"));

  /** One line's pattern: what it matches (null: nothing), whether it re-includes. */
  private record Rule(Pattern regex, boolean negated, boolean directoryOnly) {}

  private final String file;
  private final List<Rule> rules;

  private IgnoreRules(String file, List<Rule> rules) {
    this.file = file;
    this.rules = List.copyOf(rules);
  }

  /** The rules of {@code folder}'s {@code .berthignore}, else its {@code .gitignore}, else none. */
  static IgnoreRules of(Path folder) throws IOException {
    requireNonNull(folder, "folder");
    for (String name : List.of(BERTHIGNORE, GITIGNORE)) {
      Path path = folder.resolve(name);
      if (Files.isRegularFile(path)) {
        // Malformed UTF-8 becomes U+FFFD, as a pattern that matches no real name.
        return parse(name, new String(Files.readAllBytes(path), StandardCharsets.UTF_8));
      }
    }
    return NONE;
  }

  /** The rules of a file named {@code file} (as messages name it) with this content. */
  static IgnoreRules parse(String file, String content) {
    requireNonNull(file, "file");
    List<Rule> rules = new ArrayList<>();
    // A UTF-8 byte order mark is no part of the first pattern, as git skips it.
    String text = content.startsWith("\uFEFF") ? content.substring(1) : content;
    for (String line : text.split("\r?\n", -1)) {
      Rule rule = rule(line);
      if (rule != null) {
        rules.add(rule);
      }
    }
    return new IgnoreRules(file, rules);
  }

  /** The file the rules come from ({@code .berthignore}, {@code .gitignore}), or null. */
  String file() {
    return file;
  }

  /**
   * Whether the path itself is left out: the last pattern that matches it decides. A path under a
   * directory left out is left out too, whatever this says: the walk does not go there, as git does
   * not.
   *
   * @param relative the path relative to the folder, {@code /}-separated
   * @param directory whether it is a directory (a symlink is not, as in git)
   */
  boolean ignored(String relative, boolean directory) {
    requireNonNull(relative, "relative");
    for (int i = rules.size() - 1; i >= 0; i--) {
      Rule rule = rules.get(i);
      if (rule.regex() == null || (rule.directoryOnly() && !directory)) {
        continue;
      }
      if (rule.regex().matcher(relative).matches()) {
        return !rule.negated();
      }
    }
    return false;
  }

  /** A line as git reads it; null for a blank line or a comment. */
  private static Rule rule(String line) {
    String text = trimTrailingSpaces(line);
    if (text.isEmpty() || text.startsWith("#")) {
      return null;
    }
    boolean negated = text.startsWith("!");
    if (negated) {
      text = text.substring(1);
    }
    boolean directoryOnly = text.endsWith("/");
    if (directoryOnly) {
      text = text.substring(0, text.length() - 1);
    }
    if (text.isEmpty()) {
      return null;
    }
    // A slash at the start or in the middle ties the pattern to the folder's top; without one it
    // matches a name at any depth.
    boolean anchored = text.contains("/");
    if (text.startsWith("/")) {
      text = text.substring(1);
    }
    String body = translate(text);
    if (body == null) {
      return new Rule(null, negated, directoryOnly);
    }
    return new Rule(
        Pattern.compile(anchored ? body : "(?:.*/)?" + body, Pattern.DOTALL),
        negated,
        directoryOnly);
  }

  /** Trailing spaces go, unless escaped with a backslash. */
  private static String trimTrailingSpaces(String line) {
    int end = line.length();
    while (end > 0 && line.charAt(end - 1) == ' ') {
      int backslashes = 0;
      for (int i = end - 2; i >= 0 && line.charAt(i) == '\\'; i--) {
        backslashes++;
      }
      if (backslashes % 2 == 1) {
        break;
      }
      end--;
    }
    return line.substring(0, end);
  }

  /**
   * A wildmatch pattern (with git's pathname rules) as a regex; null when git would never match it
   * (a trailing backslash, an unclosed bracket, an unknown character class).
   */
  private static String translate(String glob) {
    StringBuilder regex = new StringBuilder();
    int[] cps = glob.codePoints().toArray();
    int i = 0;
    while (i < cps.length) {
      int c = cps[i];
      switch (c) {
        case '\\' -> {
          if (i + 1 >= cps.length) {
            return null;
          }
          regex.append(literal(cps[i + 1]));
          i += 2;
        }
        case '?' -> {
          regex.append("[^/]");
          i++;
        }
        case '*' -> {
          int start = i;
          while (i < cps.length && cps[i] == '*') {
            i++;
          }
          boolean several = i - start >= 2;
          boolean afterSlash = start == 0 || cps[start - 1] == '/';
          boolean beforeSlashOrEnd = i == cps.length || cps[i] == '/';
          if (several && afterSlash && beforeSlashOrEnd) {
            if (i < cps.length) {
              // "**/": zero or more directories.
              regex.append("(?:.*/)?");
              i++;
            } else {
              regex.append(".*");
            }
          } else {
            regex.append("[^/]*");
          }
        }
        case '[' -> {
          int[] end = new int[1];
          String bracket = bracket(cps, i + 1, end);
          if (bracket == null) {
            return null;
          }
          regex.append(bracket);
          i = end[0];
        }
        default -> {
          regex.append(literal(c));
          i++;
        }
      }
    }
    return regex.toString();
  }

  /**
   * The bracket expression starting at {@code from} (just after its {@code [}) as a regex, its end
   * (just after the {@code ]}) put in {@code end[0]}; null when it does not close or names an
   * unknown class. As in wildmatch: {@code !} or {@code ^} negates, a {@code ]} first is literal, a
   * backslash escapes, {@code a-z} is a range, {@code [:alpha:]} a class, and {@code /} never
   * matches.
   */
  private static String bracket(int[] cps, int from, int[] end) {
    int i = from;
    boolean negated = i < cps.length && (cps[i] == '!' || cps[i] == '^');
    if (negated) {
      i++;
    }
    StringBuilder items = new StringBuilder();
    int previous = -1;
    boolean first = true;
    while (true) {
      if (i >= cps.length) {
        return null;
      }
      int c = cps[i];
      if (c == ']' && !first) {
        i++;
        break;
      }
      first = false;
      if (c == '\\') {
        i++;
        if (i >= cps.length) {
          return null;
        }
        c = cps[i];
        items.append(literal(c));
        previous = c;
        i++;
      } else if (c == '-' && previous >= 0 && i + 1 < cps.length && cps[i + 1] != ']') {
        int to = cps[i + 1];
        i += 2;
        if (to == '\\') {
          if (i >= cps.length) {
            return null;
          }
          to = cps[i];
          i++;
        }
        // The start of the range was added as a literal already; a reversed range adds nothing.
        if (to >= previous) {
          items.append('[').append(literal(previous)).append('-').append(literal(to)).append(']');
        }
        previous = -1;
      } else if (c == '[' && i + 1 < cps.length && cps[i + 1] == ':') {
        int close = i + 2;
        while (close + 1 < cps.length && !(cps[close] == ':' && cps[close + 1] == ']')) {
          close++;
        }
        if (close + 1 >= cps.length) {
          // No ":]": a literal '[', as wildmatch takes it.
          items.append(literal(c));
          previous = c;
          i++;
        } else {
          String name = new String(cps, i + 2, close - (i + 2));
          String cls = CLASSES.get(name);
          if (cls == null) {
            return null;
          }
          items.append(cls);
          previous = -1;
          i = close + 2;
        }
      } else {
        items.append(literal(c));
        previous = c;
        i++;
      }
    }
    end[0] = i;
    if (items.isEmpty()) {
      return negated ? "[^/]" : "(?!)";
    }
    return (negated ? "(?![" : "(?=[") + items + "])[^/]";
  }

  private static String literal(int codePoint) {
    return Character.isLetterOrDigit(codePoint)
        ? Character.toString(codePoint)
        : "\\x{" + Integer.toHexString(codePoint) + "}";
  }
}
