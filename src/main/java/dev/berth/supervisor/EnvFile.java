package dev.berth.supervisor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An app's .env file, read as foreman, Heroku's local tools and python-dotenv read it: {@code
 * NAME=value} lines, an optional {@code export } before the name, values optionally in single
 * quotes (taken as they are) or double quotes (with \n, \" and \\ escapes), # comments on their own
 * line or after an unquoted value. Lines it cannot read are skipped and reported.
 */
final class EnvFile {

  private static final Pattern LINE =
      Pattern.compile("^(?:export\\s+)?([A-Za-z_][A-Za-z0-9_]*)\\s*=\\s*(.*)$");

  private EnvFile() {}

  /** The variables, in file order; {@code problems} gets "FILE:LINE: ..." for each skipped line. */
  static Map<String, String> read(Path file, List<String> problems) throws IOException {
    List<String> lines;
    try {
      lines = Files.readAllLines(file);
    } catch (NoSuchFileException e) {
      return Map.of();
    }
    Map<String, String> env = new LinkedHashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      Matcher m = LINE.matcher(line);
      if (!m.matches()) {
        problems.add(file + ":" + (i + 1) + ": not NAME=value; skipped");
        continue;
      }
      env.put(m.group(1), value(m.group(2)));
    }
    return env;
  }

  private static String value(String raw) {
    if (raw.length() >= 2 && raw.startsWith("'") && raw.indexOf('\'', 1) > 0) {
      return raw.substring(1, raw.indexOf('\'', 1));
    }
    if (raw.startsWith("\"")) {
      StringBuilder value = new StringBuilder();
      for (int i = 1; i < raw.length(); i++) {
        char c = raw.charAt(i);
        if (c == '"') {
          return value.toString();
        }
        if (c == '\\' && i + 1 < raw.length()) {
          char next = raw.charAt(++i);
          value.append(next == 'n' ? '\n' : next);
        } else {
          value.append(c);
        }
      }
      return value.toString();
    }
    int comment = raw.indexOf(" #");
    return (comment >= 0 ? raw.substring(0, comment) : raw).strip();
  }
}
