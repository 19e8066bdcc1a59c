package dev.berth.git;

/** {@code berth git init} could not do its job; the message is one line for a person. */
public final class GitException extends Exception {

  private final boolean usage;

  GitException(String message, boolean usage) {
    super(message);
    this.usage = usage;
  }

  /** True when what was asked is wrong (exit 2), false when doing it failed (exit 1). */
  public boolean usage() {
    return usage;
  }
}
