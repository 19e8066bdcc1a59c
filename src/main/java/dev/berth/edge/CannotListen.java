package dev.berth.edge;

import static java.util.Objects.requireNonNull;

import dev.berth.config.Listener;
import io.netty.channel.unix.Errors;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.Locale;

/**
 * A listener could not be bound. The message says why in a user's words ({@code 127.0.0.1:8080 is
 * already in use (by nginx, pid 1234)}), without where the listener is in the config: the caller
 * knows that and puts it first.
 */
public final class CannotListen extends IOException {

  // Linux's errno values, as Netty's native transports report them (negated).
  private static final int EACCES = 13;
  private static final int EADDRINUSE = 98;
  private static final int EADDRNOTAVAIL = 99;

  private final transient Listener listener;

  private CannotListen(Listener listener, String message, Throwable cause) {
    super(message, cause);
    this.listener = listener;
  }

  /** The listener that could not be bound. */
  public Listener listener() {
    return listener;
  }

  static CannotListen of(
      Listener listener, InetSocketAddress address, Throwable cause, PortHolder holders) {
    requireNonNull(listener, "listener");
    requireNonNull(cause, "cause");
    String shown = shown(listener);
    String message =
        switch (reason(cause)) {
          case EADDRINUSE ->
              shown
                  + " is already in use"
                  + holders.describe(address).map(by -> " (by " + by + ")").orElse("");
          case EADDRNOTAVAIL -> shown + " is not an address of this machine";
          case EACCES ->
              shown + ": permission denied (a port below 1024 needs root or CAP_NET_BIND_SERVICE)";
          default -> shown + ": cannot listen: " + cause.getMessage();
        };
    return new CannotListen(listener, message, cause);
  }

  /** {@code unix:/srv/alice/berth.sock: WHY}. */
  static CannotListen because(Listener listener, String why, Throwable cause) {
    return new CannotListen(listener, listener.address() + ": " + why, cause);
  }

  /** {@code unix:/srv/alice/berth.sock is already in use (DETAIL)}. */
  static CannotListen inUse(Listener listener, String detail) {
    return new CannotListen(
        listener, listener.address() + " is already in use (" + detail + ")", null);
  }

  /** The errno of the failure, as well as it can be told; 0 when it cannot. */
  private static int reason(Throwable cause) {
    if (cause instanceof Errors.NativeIoException nativeFailure) {
      return -nativeFailure.expectedErr();
    }
    String message = String.valueOf(cause.getMessage()).toLowerCase(Locale.ROOT);
    if (cause instanceof BindException || message.contains("bind")) {
      if (message.contains("already in use")) {
        return EADDRINUSE;
      }
      if (message.contains("cannot assign requested address")) {
        return EADDRNOTAVAIL;
      }
      if (message.contains("permission denied")) {
        return EACCES;
      }
    }
    return 0;
  }

  /**
   * The address as the config writes it: {@code 127.0.0.1:8080}, {@code [::1]:8080}, {@code :8080}.
   */
  private static String shown(Listener listener) {
    return listener.address();
  }
}
