package dev.berth.control;

import static java.util.Objects.requireNonNull;

/**
 * A control request that failed, with a machine-readable code. A handler throws it to answer with
 * that error; the client throws it when the answer is an error or when berth cannot be reached.
 */
public class ControlException extends Exception {

  /** Malformed request: bad JSON, missing or wrong fields, line over the size limit, bad args. */
  public static final String BAD_REQUEST = "bad_request";

  /** The request's {@code "v"} is not a protocol version this berth speaks. */
  public static final String UNSUPPORTED_VERSION = "unsupported_version";

  /** No handler is registered under the request's command. */
  public static final String UNKNOWN_COMMAND = "unknown_command";

  /** The command names something that does not exist (an app, an instance). */
  public static final String NOT_FOUND = "not_found";

  /** The command was understood but did not succeed. */
  public static final String FAILED = "failed";

  /** The peer is neither berth's own user nor root, or the kernel refused the connect. */
  public static final String PERMISSION_DENIED = "permission_denied";

  /** The daemon stopped while the request was running (the end of a follow stream, say). */
  public static final String SHUTTING_DOWN = "shutting_down";

  /** Client side only: no daemon listens on the socket. */
  public static final String NOT_RUNNING = "not_running";

  /** Client side only: the connection broke, or the daemon's answer was not the protocol. */
  public static final String CONNECTION_LOST = "connection_lost";

  /** Client side only: the caller closed the client while a call was running. */
  public static final String CANCELLED = "cancelled";

  private final String code;

  public ControlException(String code, String message) {
    super(requireNonNull(message, "message"));
    this.code = requireNonNull(code, "code");
  }

  public ControlException(String code, String message, Throwable cause) {
    super(requireNonNull(message, "message"), cause);
    this.code = requireNonNull(code, "code");
  }

  /** One of the constants of this class, or a code that a command defines. */
  public String code() {
    return code;
  }

  /** The message as the CLI prints it: always starting with {@code "berth: "}. */
  public String forUser() {
    String message = getMessage();
    return message.startsWith("berth: ") ? message : "berth: " + message;
  }
}
