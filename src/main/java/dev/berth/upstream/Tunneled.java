package dev.berth.upstream;

import java.util.concurrent.CompletableFuture;

/**
 * An upgraded connection (a WebSocket) open through a {@link Peer}: what the supervisor's drain
 * needs of it. The edge owns the tunnel itself.
 */
public interface Tunneled {

  /**
   * Ends the tunnel as its peer goes away (a WebSocket gets a close frame 1001 both ways, at a
   * frame boundary). Completes once both of its connections are closed. Callable from any thread.
   */
  CompletableFuture<Void> goAway();
}
