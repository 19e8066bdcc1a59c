package dev.berth.process;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.OptionalInt;

/**
 * A command that ran to its end: its exit code and what it wrote (stderr is empty when it was
 * merged into stdout).
 *
 * @param name how messages name the command ("git fetch")
 */
public record CommandResult(String name, int exitCode, String stdout, String stderr) {

  /** How many of the last lines an error keeps. */
  static final int LAST_LINES = 10;

  public CommandResult {
    requireNonNull(name, "name");
    requireNonNull(stdout, "stdout");
    requireNonNull(stderr, "stderr");
  }

  public boolean ok() {
    return exitCode == 0;
  }

  /**
   * The last non-blank lines of stderr, or of stdout when stderr has none (as when they were
   * merged): where a tool says why it failed.
   */
  public List<String> lastLines() {
    return last(stderr.isBlank() ? stdout : stderr);
  }

  /**
   * This result if the command exited 0.
   *
   * @throws CommandException {@code "chown exited 1: <its last line>"} otherwise
   */
  public CommandResult orThrow() throws CommandException {
    if (ok()) {
      return this;
    }
    List<String> lines = lastLines();
    String why = name + " exited " + exitCode;
    if (!lines.isEmpty()) {
      why += ": " + lines.get(lines.size() - 1).strip();
    }
    throw new CommandException(
        CommandException.Reason.FAILED, why, OptionalInt.of(exitCode), lines);
  }

  static List<String> last(String text) {
    List<String> lines = text.lines().filter(line -> !line.isBlank()).toList();
    return lines.subList(Math.max(0, lines.size() - LAST_LINES), lines.size());
  }
}
