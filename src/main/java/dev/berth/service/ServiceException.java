package dev.berth.service;

/** Why {@code berth service} cannot make a plan: one line for the user, and the exit code. */
public final class ServiceException extends Exception {

  private final int exitCode;

  public ServiceException(int exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  public int exitCode() {
    return exitCode;
  }
}
