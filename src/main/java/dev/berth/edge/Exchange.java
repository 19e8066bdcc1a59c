package dev.berth.edge;

import io.netty.handler.codec.http.HttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * One request and its response on a client connection. The connection has at most one exchange at a
 * time; requests pipelined behind it wait in {@link EdgeHandler}; an HTTP/2 stream has one
 * exchange.
 */
interface Exchange {

  /** Begins answering; called once, after the request head arrived. */
  void start();

  /** A piece of the request body; the last one is a {@code LastHttpContent}. Takes ownership. */
  void requestContent(HttpContent content);

  /** True once the request's last content arrived. */
  boolean requestDone();

  /** The client went away or the connection is closing: release everything, answer nothing more. */
  void abort();

  /** The client connection's writability changed. */
  default void clientWritabilityChanged(boolean writable) {}

  /**
   * Starts {@code next} and gives it the body that came before it (a deferred exchange's
   * hand-over): if it fails, what is left of the body is released and the failure goes on to the
   * owner.
   */
  static void startWith(Exchange next, ArrayDeque<HttpContent> body) {
    try {
      next.start();
      HttpContent content;
      while ((content = body.poll()) != null) {
        next.requestContent(content);
      }
    } catch (RuntimeException e) {
      body.forEach(ReferenceCountUtil::release);
      throw e;
    }
  }
}
