package dev.berth.edge;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.ArrayDeque;

/**
 * A proxied request's body on its way to the app: the pieces that come before the upstream
 * connection are held until it is there (the client's reading paused meanwhile), the others sent as
 * they come; all counted against the route's max_body_size. Kept apart from {@link ProxyExchange},
 * which decides where the request goes, keeps the two connections' reading in step and answers the
 * client; one per exchange, on its event loop.
 */
final class RequestBody {

  /** What became of a piece of the body. */
  enum Taken {
    /** Held until the upstream connection is there. */
    HELD,
    /** Written to the upstream connection. */
    SENT,
    /** A piece the client's codec could not decode (released). */
    MALFORMED,
    /** Past max_body_size (released). */
    TOO_LARGE
  }

  private final long maxSize;

  /** Whether the request declares a body (chunked, or a Content-Length above 0). */
  private final boolean declared;

  /** Pieces that came before the upstream connection; made for the first such piece. */
  private ArrayDeque<HttpContent> pending;

  private long bytes;
  private boolean sent;
  private boolean done;

  /** Client reads were paused while a connection was being made. */
  private boolean pausedForConnect;

  RequestBody(HttpRequest request, long maxSize) {
    this.maxSize = maxSize;
    this.declared =
        HttpUtil.isTransferEncodingChunked(request) || HttpUtil.getContentLength(request, 0L) > 0;
  }

  /** Whether the client sent the request to its end. */
  boolean done() {
    return done;
  }

  /** Whether the request has a body (declared, or any byte of it sent), for {@link RetryRule}. */
  boolean present() {
    return declared || sent;
  }

  /**
   * Holds the body until the request head is on its way upstream. A pooled connection needs no
   * pause, nor does a request without a body (a pipelined request behind it is held by the
   * connection anyway): each pause costs the client connection two syscalls, which an app that
   * closes after every response (gunicorn's sync workers) would pay on every request.
   */
  void holdWhileConnecting(Channel client) {
    if (!pausedForConnect && !done && declared) {
      pausedForConnect = true;
      client.config().setAutoRead(false);
    }
  }

  /** Writes the pieces held so far, after the head written before them; the caller flushes. */
  void writeHeld(Channel upstream) {
    HttpContent content;
    while (pending != null && (content = pending.poll()) != null) {
      sent |= content.content().isReadable();
      upstream.write(content, upstream.voidPromise());
    }
  }

  /** Whether client reads were paused while the connection was made; they are not any more. */
  boolean resumeAfterConnect() {
    boolean paused = pausedForConnect;
    pausedForConnect = false;
    return paused;
  }

  /**
   * A piece from the client: held, sent on {@code upstream} (null: no connection yet), or refused.
   * The piece is the body's from here.
   */
  Taken take(HttpContent content, Channel upstream) {
    if (content instanceof LastHttpContent) {
      done = true;
    }
    if (content.decoderResult().isFailure()) {
      content.release();
      return Taken.MALFORMED;
    }
    bytes += content.content().readableBytes();
    if (bytes > maxSize) {
      content.release();
      return Taken.TOO_LARGE;
    }
    if (upstream == null) {
      if (pending == null) {
        pending = new ArrayDeque<>(2);
      }
      pending.add(content);
      return Taken.HELD;
    }
    sent |= content.content().isReadable();
    upstream.writeAndFlush(content, upstream.voidPromise());
    return Taken.SENT;
  }

  /** A piece that came after the exchange ended: noted if it is the last, then released. */
  void drop(HttpContent content) {
    if (content instanceof LastHttpContent) {
      done = true;
    }
    content.release();
  }

  /** Releases the pieces still held (the exchange ended before they could go). */
  void release() {
    HttpContent content;
    while (pending != null && (content = pending.poll()) != null) {
      content.release();
    }
  }
}
