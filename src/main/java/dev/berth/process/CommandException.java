package dev.berth.process;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.util.List;
import java.util.OptionalInt;

/**
 * A short command that did not run to a successful end, with a one-line message that says why
 * ({@code "git fetch timed out after 60s"}, {@code "chown exited 1: <its last line>"}).
 */
public final class CommandException extends IOException {

  /** Why the command did not succeed. */
  public enum Reason {
    /** It could not be started: its program was not found, or the system refused. */
    NOT_STARTED,
    /** It did not end (or kept its output open) by its timeout; its processes were ended. */
    TIMED_OUT,
    /** The calling thread was interrupted; its processes were ended. */
    INTERRUPTED,
    /** It exited with a code other than 0. */
    FAILED
  }

  private final Reason reason;
  private final OptionalInt exitCode;
  private final List<String> lastLines;

  CommandException(Reason reason, String message, OptionalInt exitCode, List<String> lastLines) {
    super(requireNonNull(message, "message"));
    this.reason = requireNonNull(reason, "reason");
    this.exitCode = requireNonNull(exitCode, "exitCode");
    this.lastLines = List.copyOf(lastLines);
  }

  CommandException(Reason reason, String message, Throwable cause) {
    this(reason, message, OptionalInt.empty(), List.of());
    initCause(cause);
  }

  public Reason reason() {
    return reason;
  }

  /** Its exit code, when it exited ({@link Reason#FAILED}). */
  public OptionalInt exitCode() {
    return exitCode;
  }

  /**
   * The last non-blank lines it wrote before it failed or was ended (of stderr, or of stdout when
   * stderr had none), at most 10.
   */
  public List<String> lastLines() {
    return lastLines;
  }
}
