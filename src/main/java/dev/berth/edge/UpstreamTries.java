package dev.berth.edge;

import dev.berth.upstream.AppBackend;
import dev.berth.upstream.Peer;
import io.netty.handler.codec.http.HttpMethod;
import java.util.ArrayList;
import java.util.List;

/**
 * The instances one proxied request tries, in turn: those that failed it (the next pick skips
 * them), how often it was sent and lost ({@link RetryRule}), whether the next try needs a new
 * connection, and since when it has been trying (the access log's upstream time covers every try).
 * Kept apart from {@link ProxyExchange}, which moves the bytes; one per exchange, on its event
 * loop.
 */
final class UpstreamTries {

  /**
   * The peers the next pick skips: those that failed this request. Made at the first failure, as
   * most requests never need it (nor the two lists it cost each of them).
   */
  private List<Peer> skip = List.of();

  /** How many times the request was sent and lost. */
  private int lost;

  /** The next try makes a new connection: one from the pool was lost, others may be stale too. */
  private boolean freshConnection;

  /** When the first instance was tried. */
  private long started;

  /** An instance was tried, so {@link #started} is set. */
  private boolean tried;

  /** The next instance to try, or null when none is left; the first one starts the clock. */
  Peer pick(AppBackend backend) {
    long now = System.nanoTime();
    Peer next = backend.pick(skip, now);
    if (next != null && !tried) {
      tried = true;
      started = now;
    }
    return next;
  }

  /** Whether an instance was tried. */
  boolean tried() {
    return tried;
  }

  /** When the first instance was tried, a {@link System#nanoTime()}; valid once {@link #tried}. */
  long started() {
    return started;
  }

  /** Whether an instance failed this request (rather than none being ready). */
  boolean failedAny() {
    return !skip.isEmpty();
  }

  /** Whether the next try must make a new connection rather than take a pooled one. */
  boolean freshConnection() {
    return freshConnection;
  }

  /** The instance failed this request: the next picks skip it. */
  void skip(Peer failed) {
    if (skip.isEmpty()) {
      skip = new ArrayList<>(2);
    }
    skip.add(failed);
  }

  /**
   * The request was sent to {@code peer} and lost: whether it goes on to another try ({@link
   * RetryRule}). If it does, a pooled connection's loss says nothing sure of the instance, which
   * stays a candidate on a new connection; a new connection's loss skips it.
   *
   * @param hasBody whether the request has a body (declared, or any byte of it sent)
   * @param reused whether the lost connection came from the pool
   */
  boolean retryAfterLoss(
      HttpMethod method, boolean hasBody, int retries, Peer peer, boolean reused) {
    boolean retry = RetryRule.retryAfterLoss(method, hasBody, ++lost, retries);
    if (retry) {
      if (reused) {
        freshConnection = true;
      } else {
        skip(peer);
      }
    }
    return retry;
  }
}
