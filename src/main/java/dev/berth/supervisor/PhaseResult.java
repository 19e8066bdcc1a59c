package dev.berth.supervisor;

import java.time.Duration;
import java.util.List;

/**
 * How a deploy's build or release phase ended: its exit code (or null when it was killed at its
 * timeout), how long it took, and its last lines.
 */
public record PhaseResult(Integer exitCode, Duration took, List<String> lastLines) {
  public boolean ok() {
    return exitCode != null && exitCode == 0;
  }
}
