package dev.berth.deploy;

import static java.util.Objects.requireNonNull;

import java.util.List;

/** A step of a deploy failed: why, and the last lines the failing process wrote. */
final class DeployException extends Exception {

  private final List<String> lastLines;

  DeployException(String reason, List<String> lastLines) {
    super(requireNonNull(reason, "reason"), null, false, false);
    this.lastLines = List.copyOf(lastLines);
  }

  /** The reason, then the last lines, indented, as the CLI shows them. */
  String describe() {
    if (lastLines.isEmpty()) {
      return getMessage();
    }
    StringBuilder text = new StringBuilder(getMessage()).append("; last output:");
    for (String line : lastLines.subList(Math.max(0, lastLines.size() - 10), lastLines.size())) {
      text.append("\n    ").append(line);
    }
    return text.toString();
  }
}
