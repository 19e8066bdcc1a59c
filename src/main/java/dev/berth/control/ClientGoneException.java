package dev.berth.control;

import java.io.IOException;

/**
 * Thrown by {@link Replies#event} once the request is over: the client disconnected, the server is
 * shutting down, or a final reply was already sent. A follower stops when it sees it.
 */
public final class ClientGoneException extends IOException {

  public ClientGoneException(String message) {
    super(message);
  }
}
