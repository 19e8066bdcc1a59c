package dev.berth.deploy;

import static java.util.Objects.requireNonNull;

import dev.berth.logs.LastOutput;
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
    return LastOutput.append(getMessage(), lastLines);
  }
}
