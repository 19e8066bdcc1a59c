package dev.berth.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Procfile, as Heroku and foreman read it: one {@code type: command} per line; blank lines and
 * lines starting with # are skipped.
 */
final class Procfile {

  static final Pattern TYPE = Pattern.compile("[a-z][a-z0-9_-]{0,29}");
  private static final Pattern LINE = Pattern.compile("^([A-Za-z0-9_-]+):\\s*(.*?)\\s*$");

  private Procfile() {}

  /** The process types in file order, or the problems, each as "Procfile:LINE: what". */
  record Parsed(Map<String, String> types, List<String> problems) {}

  static Parsed read(Path file) throws IOException {
    Map<String, String> types = new LinkedHashMap<>();
    List<String> problems = new ArrayList<>();
    List<String> lines = Files.readAllLines(file);
    String name = file.getFileName().toString();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      Matcher m = LINE.matcher(line);
      String where = name + ":" + (i + 1) + ": ";
      if (!m.matches()) {
        problems.add(where + "\"" + line + "\" (expected: type: command)");
      } else if (!TYPE.matcher(m.group(1)).matches()) {
        problems.add(
            where
                + "process type \""
                + m.group(1)
                + "\" (expected: lower-case letters, digits, \"_\" or \"-\")");
      } else if (m.group(2).isEmpty()) {
        problems.add(where + m.group(1) + ": no command (expected: type: command)");
      } else if (types.putIfAbsent(m.group(1), m.group(2)) != null) {
        problems.add(where + m.group(1) + ": defined twice");
      }
    }
    return new Parsed(types, problems);
  }
}
