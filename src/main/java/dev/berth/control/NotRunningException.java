package dev.berth.control;

import java.nio.file.Path;

/** No daemon answers on the control socket: the file is missing, or nothing listens on it. */
public final class NotRunningException extends ControlException {

  private final transient Path socket;

  public NotRunningException(Path socket, Throwable cause) {
    super(
        NOT_RUNNING,
        "berth: no daemon running (no control socket at " + socket + "); start it with 'berth up'",
        cause);
    this.socket = socket;
  }

  public Path socket() {
    return socket;
  }
}
