package dev.berth.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The value types of config keys, and how values are shown in messages. */
final class Types {

  static final String SIZE_EXPECTED = "a size like \"8k\", \"10m\", \"1g\" or a number of bytes";
  static final String DURATION_EXPECTED = "a duration like \"30s\", \"500ms\" or \"2m\"";
  static final String COMMAND_EXPECTED = "a non-blank command line";

  static final Duration MAX_DURATION = Duration.ofHours(24);

  /** Stands for durations too long to represent; only ever rejected. */
  private static final Duration TOO_LONG = MAX_DURATION.plusSeconds(1);

  private static final Pattern DURATION = Pattern.compile("([0-9]+)(ms|s|m|h)");
  private static final Pattern SIZE = Pattern.compile("([0-9]{1,12})([kKmMgG]?)");

  static final ValueType<Boolean> BOOLEAN = ValueType.of("boolean", "true or false", Types::bool);

  /** A string with a unit ("500ms", "30s", "2m", "1h") or an integer number of seconds. */
  static final ValueType<Duration> DURATION_TYPE =
      ValueType.of("duration", DURATION_EXPECTED, Types::duration);

  static final ValueType<String> COMMAND =
      ValueType.of("string", COMMAND_EXPECTED, v -> nonBlank(v, COMMAND_EXPECTED));

  /** A path relative to the base directory, which need not exist yet. */
  static final ValueType<Path> DIRECTORY_PATH =
      new ValueType<>(
          "path", "a directory path", (v, base) -> resolve(v, base, "a directory path"));

  static final ValueType<Path> FILE_PATH =
      new ValueType<>("path", "a file path", (v, base) -> resolve(v, base, "a file path"));

  /** An existing directory relative to the base directory, made real (symlinks resolved). */
  static final ValueType<Path> DIRECTORY =
      new ValueType<>("path", "an existing directory", Types::directory);

  private Types() {}

  static ValueType<Integer> integer(int min, int max) {
    String expected = "an integer from " + min + " to " + max;
    return ValueType.of("integer", expected, v -> integer(v, min, max, expected));
  }

  /** Bytes: an integer, or a string with a binary k/m/g suffix as in nginx ("8k", "10m"). */
  static ValueType<Long> size(long min, long max) {
    String expected =
        min == 0 && max == Long.MAX_VALUE
            ? SIZE_EXPECTED
            : SIZE_EXPECTED + ", from " + min + " to " + max + " bytes";
    return ValueType.of("size", expected, v -> size(v, min, max, expected));
  }

  /** One of an enum's constants, written in lower case ("round_robin" for ROUND_ROBIN). */
  static <E extends Enum<E>> ValueType<E> choice(Class<E> type) {
    return choice(type, constant -> constant.name().toLowerCase(Locale.ROOT));
  }

  /** One of an enum's constants, each written as {@code written} gives it. */
  static <E extends Enum<E>> ValueType<E> choice(Class<E> type, Function<E, String> written) {
    Map<String, E> byName = new LinkedHashMap<>();
    for (E constant : type.getEnumConstants()) {
      byName.put(written.apply(constant), constant);
    }
    String expected = choicesText(byName.keySet().stream().map(Types::quote).toList());
    return ValueType.of(
        "string",
        expected,
        v -> {
          E value = byName.get(string(v, expected));
          if (value == null) {
            throw new Rejected(expected);
          }
          return value;
        });
  }

  /** A string that is not blank. */
  static ValueType<String> nonBlank(String expected) {
    return ValueType.of("string", expected, v -> nonBlank(v, expected));
  }

  /** A TOML table ({@code [name]} or {@code { ... }}). */
  static ValueType<JsonNode> table(String expected) {
    return ValueType.of(
        "table",
        expected,
        v -> {
          if (!v.isObject()) {
            throw new Rejected(expected);
          }
          return v;
        });
  }

  /** An array of at least {@code min} elements, each checked as a table on its own. */
  static ValueType<JsonNode> tables(String expected, int min) {
    return ValueType.of(
        "array of tables",
        expected,
        v -> {
          if (!v.isArray() || v.size() < min) {
            throw new Rejected(expected);
          }
          return v;
        });
  }

  /** An existing regular file relative to the base directory (the app's). */
  static ValueType<Path> file(String expected) {
    return new ValueType<>(
        "path",
        expected,
        (v, base) -> {
          String name = nonBlank(v, expected);
          Path file;
          try {
            file = base.resolve(name).normalize();
          } catch (InvalidPathException e) {
            throw new Rejected(expected + "; " + e.getReason());
          }
          if (!Files.isRegularFile(file) && !closedToBerth(file)) {
            throw new Rejected(expected + "; " + file + " is not a file");
          }
          return file;
        });
  }

  /** "a", "a or b", "a, b or c". */
  static String choicesText(java.util.List<String> choices) {
    int n = choices.size();
    return n == 1
        ? choices.get(0)
        : String.join(", ", choices.subList(0, n - 1)) + " or " + choices.get(n - 1);
  }

  static String string(JsonNode value, String expected) throws Rejected {
    if (!value.isTextual()) {
      throw new Rejected(expected);
    }
    return value.textValue();
  }

  static String nonBlank(JsonNode value, String expected) throws Rejected {
    String s = string(value, expected);
    if (s.isBlank()) {
      throw new Rejected(expected);
    }
    return s;
  }

  private static int integer(JsonNode value, int min, int max, String expected) throws Rejected {
    if (!value.isIntegralNumber()) {
      throw new Rejected(expected);
    }
    BigInteger n = value.bigIntegerValue();
    if (n.compareTo(BigInteger.valueOf(min)) < 0 || n.compareTo(BigInteger.valueOf(max)) > 0) {
      throw new Rejected(expected);
    }
    return n.intValueExact();
  }

  private static long size(JsonNode value, long min, long max, String expected) throws Rejected {
    long bytes;
    if (value.isIntegralNumber() && value.canConvertToLong()) {
      bytes = value.longValue();
    } else if (value.isTextual()) {
      Matcher m = SIZE.matcher(value.textValue().trim());
      if (!m.matches()) {
        throw new Rejected(expected);
      }
      int shift =
          switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            default -> 0;
          };
      long n = Long.parseLong(m.group(1));
      if (n > Long.MAX_VALUE >> shift) {
        // "17179869185g" would wrap around to 1g.
        throw new Rejected(expected);
      }
      bytes = n << shift;
    } else {
      throw new Rejected(expected);
    }
    if (bytes < min || bytes > max) {
      throw new Rejected(expected);
    }
    return bytes;
  }

  private static boolean bool(JsonNode value) throws Rejected {
    if (!value.isBoolean()) {
      throw new Rejected("true or false");
    }
    return value.booleanValue();
  }

  private static Duration duration(JsonNode value) throws Rejected {
    Duration d = value.isIntegralNumber() ? seconds(value.bigIntegerValue()) : withUnit(value);
    if (d.isNegative() || d.isZero() || d.compareTo(MAX_DURATION) > 0) {
      throw new Rejected("a duration more than 0 and at most 24h");
    }
    return d;
  }

  private static Duration seconds(BigInteger n) {
    // Anything past 32 bits is far outside the range; capping avoids Duration overflow.
    return n.bitLength() < 32 ? Duration.ofSeconds(n.longValue()) : TOO_LONG;
  }

  private static Duration withUnit(JsonNode value) throws Rejected {
    Matcher m = DURATION.matcher(string(value, DURATION_EXPECTED));
    if (!m.matches()) {
      throw new Rejected(DURATION_EXPECTED);
    }
    if (m.group(1).length() > 12) {
      return TOO_LONG;
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      default -> Duration.ofHours(n);
    };
  }

  private static Path directory(JsonNode value, Path base) throws Rejected {
    String expected = "an existing directory";
    Path dir = resolve(value, base, expected);
    if (closedToBerth(dir)) {
      return dir; // not "does not exist": the checks before a start say which directory is closed
    }
    if (!Files.exists(dir)) {
      throw new Rejected(expected + "; " + dir + " does not exist");
    }
    if (!Files.isDirectory(dir)) {
      throw new Rejected(expected + "; " + dir + " is not a directory");
    }
    try {
      return dir.toRealPath();
    } catch (IOException e) {
      throw new Rejected(expected + "; " + dir + ": " + ConfigLoader.reason(e));
    }
  }

  /** Whether berth cannot even look at the path: a directory on the way is closed to it. */
  private static boolean closedToBerth(Path path) {
    try {
      Files.readAttributes(path, BasicFileAttributes.class);
      return false;
    } catch (AccessDeniedException e) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static Path resolve(JsonNode value, Path base, String expected) throws Rejected {
    try {
      return base.resolve(nonBlank(value, expected)).normalize();
    } catch (InvalidPathException e) {
      throw new Rejected(expected + "; " + e.getReason());
    }
  }

  /** How a value is shown in a message: as the user would have written it in TOML. */
  static String show(JsonNode value) {
    if (value.isTextual()) {
      return quote(value.textValue());
    }
    if (value.isObject()) {
      return "a table";
    }
    if (value.isArray()) {
      return value.isEmpty() ? "[]" : "an array";
    }
    if (value.isDouble() || value.isFloat()) {
      // Only inf and nan are not BigDecimals; Java would spell them "Infinity" and "NaN".
      double d = value.doubleValue();
      return Double.isNaN(d) ? "nan" : d > 0 ? "inf" : "-inf";
    }
    return value.asText();
  }

  static String quote(String s) {
    StringBuilder out = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < ' ') {
            out.append(String.format("\\u%04X", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"').toString();
  }
}
