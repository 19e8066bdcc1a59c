package dev.berth.logs;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The part of a failed process's last output lines that an error message shows: the last 10, which
 * hold the end of a Python traceback, where the reason is. When the process wrote more after the
 * first exception (gunicorn's master, say, adds a traceback of its own when a worker fails to
 * boot), that exception's line comes first, so that the app's own error is never cut.
 */
public final class LastOutput {

  static final int TAIL = 10;

  /** The last line of a Python traceback, "RuntimeError: ..." or "pkg.mod.SomeException: ...". */
  private static final Pattern EXCEPTION =
      Pattern.compile("^[A-Za-z_][\\w.]*(Error|Exception)(: .*)?$");

  private LastOutput() {}

  /** The lines to show, in order; "..." stands for those left out. */
  public static List<String> excerpt(List<String> lines) {
    if (lines.size() <= TAIL) {
      return lines;
    }
    int tailStart = lines.size() - TAIL;
    List<String> shown = new ArrayList<>(TAIL + 2);
    for (int i = 0; i < tailStart; i++) {
      if (EXCEPTION.matcher(lines.get(i)).matches()) {
        shown.add(lines.get(i));
        break;
      }
    }
    shown.add("...");
    shown.addAll(lines.subList(tailStart, lines.size()));
    return shown;
  }

  /** {@code what}, then "; last output:" and the excerpt, one indented line each. */
  public static String append(String what, List<String> lines) {
    if (lines.isEmpty()) {
      return what;
    }
    StringBuilder message = new StringBuilder(what).append("; last output:");
    for (String line : excerpt(lines)) {
      message.append("\n    ").append(line);
    }
    return message.toString();
  }
}
