package dev.berth.edge;

import static java.util.Objects.requireNonNull;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * One client connection: takes each request, checks it, asks the router where it goes, and runs one
 * {@link Exchange} at a time. Requests pipelined behind the current one are held (and reading
 * paused) until it completes, so responses go out in request order.
 */
final class EdgeHandler extends ChannelInboundHandlerAdapter implements ExchangeOwner {

  /** User event: the edge is shutting down; close once the current exchange completes. */
  static final Object DRAIN = new Object();

  private final Edge edge;
  private final ClientTimeouts timeouts;
  private final EdgeCodec codec;
  private final ResponseMeter meter;
  private final ArrayDeque<Object> queued = new ArrayDeque<>();
  private ChannelHandlerContext ctx;

  /** Where each request goes; made with the handler's context. */
  private Dispatch requests;

  private Exchange current;
  private boolean draining;

  EdgeHandler(Edge edge, ClientTimeouts timeouts, EdgeCodec codec) {
    this.edge = requireNonNull(edge, "edge");
    this.timeouts = requireNonNull(timeouts, "timeouts");
    this.codec = requireNonNull(codec, "codec");
    this.meter = codec.meter();
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.requests = new Dispatch(edge, this, ctx, codec::hsts);
    // Added to a live connection when it is accepted or wakes from rest.
    if (ctx.channel().isActive()) {
      timeouts.start(this, ctx);
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    timeouts.start(this, ctx);
    ctx.fireChannelActive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    timeouts.stop();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (current == null) {
      dispatch(msg);
      return;
    }
    if (!current.requestDone()
        && msg instanceof HttpContent content
        && !(msg instanceof HttpRequest)) {
      current.requestContent(content);
      return;
    }
    queued.add(msg);
    ctx.channel().config().setAutoRead(false);
  }

  private void dispatch(Object msg) {
    if (!(msg instanceof HttpRequest request)) {
      // Body of a request already answered and closed on; nothing left to do with it.
      ReferenceCountUtil.release(msg);
      return;
    }
    timeouts.busy();
    meter.reset();
    requests.begin();
    if (request.decoderResult().isFailure()) {
      requests.startLog(request, null);
      rejectMalformed(request);
      return;
    }
    try {
      Exchange exchange = requests.exchangeFor(request);
      current = exchange;
      exchange.start();
      if (msg instanceof HttpContent content) {
        exchange.requestContent(content);
      }
    } catch (RuntimeException e) {
      internalError(e);
    }
  }

  /**
   * A deferred exchange's verdict is in: {@code next} takes over with the body that came meanwhile,
   * unless the connection moved on (closed).
   */
  @Override
  public void handOver(Exchange from, Exchange next, ArrayDeque<HttpContent> body) {
    if (from != current) {
      body.forEach(ReferenceCountUtil::release);
      return;
    }
    current = next;
    if (queued.isEmpty()) {
      // Before start(): an exchange that must pause reading (connecting upstream) does it after.
      ctx.channel().config().setAutoRead(true);
    }
    try {
      Exchange.startWith(next, body);
    } catch (RuntimeException e) {
      internalError(e);
    }
  }

  private void rejectMalformed(HttpRequest request) {
    Throwable cause = request.decoderResult().cause();
    HttpResponseStatus status = HttpResponseStatus.BAD_REQUEST;
    String detail = "Malformed request.";
    if (cause instanceof TooLongHttpLineException) {
      status = HttpResponseStatus.REQUEST_URI_TOO_LONG;
      detail = "Request line too long.";
    } else if (cause instanceof TooLongHttpHeaderException) {
      status = HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE;
      detail = "Request header fields too large.";
    } else if (cause instanceof TooLongFrameException) {
      detail = "Request too large.";
    }
    ReferenceCountUtil.release(request);
    closeWith(Responses.error(status, detail));
  }

  /** Answers outside any exchange and closes: the connection's framing is lost or done. */
  private void closeWith(FullHttpResponse response) {
    HttpUtil.setKeepAlive(response, false);
    ChannelFuture written = ctx.writeAndFlush(response);
    logCompleted(written);
    written.addListener(ChannelFutureListener.CLOSE);
    drop();
  }

  /** A bug of berth's: answer 500 if we still can, log it, and close; the daemon goes on. */
  private void internalError(RuntimeException e) {
    edge.connectionError(e);
    if (current != null) {
      current.abort();
      current = null;
    }
    closeWith(
        Responses.error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "Internal error in berth."));
  }

  /**
   * Whether {@link #exchangeDone} will wait on the exchange's last write (to close after it, or to
   * log it): if not, that write can do without a promise of its own.
   */
  @Override
  public boolean watchesLastWrite(boolean keepOpen) {
    return !keepOpen || draining || requests.logging();
  }

  /**
   * The current exchange is over. The connection then closes (when asked to, or when the edge
   * drains) once {@code lastWrite} is flushed, or goes on with the next queued request.
   */
  @Override
  public void exchangeDone(Exchange exchange, boolean keepOpen, ChannelFuture lastWrite) {
    if (exchange != current) {
      return;
    }
    current = null;
    logCompleted(lastWrite);
    if (!keepOpen || draining) {
      lastWrite.addListener(codec.closer);
      drop();
      return;
    }
    timeouts.idle();
    while (!queued.isEmpty()) {
      Object msg = queued.poll();
      if (current == null) {
        dispatch(msg);
      } else if (!current.requestDone()
          && msg instanceof HttpContent content
          && !(msg instanceof HttpRequest)) {
        current.requestContent(content);
      } else {
        queued.addFirst(msg);
        return;
      }
    }
    ctx.channel().config().setAutoRead(true);
    // A request that asked to switch protocols and did not: what the client sent after it is
    // decoded now.
    codec.decoder().resume(ctx.pipeline().context(codec.decoder()));
  }

  /**
   * The current exchange became a {@link Tunnel} (its app answered 101), and this handler leaves
   * the pipeline: the access log line is written when the tunnel closes, with the bytes it carried
   * to the client.
   */
  void upgraded(Exchange exchange, Tunnel tunnel) {
    if (exchange != current) {
      return;
    }
    current = null;
    requests.logTunnel(101, tunnel);
  }

  private void logCompleted(ChannelFuture lastWrite) {
    requests.logCompleted(meter, lastWrite);
  }

  @Override
  public boolean draining() {
    return draining;
  }

  /** The request head did not arrive in time (the clocks said so). */
  void headerTimedOut() {
    // No request is in progress in berth's view: only part of a head arrived.
    closeWith(
        Responses.error(
            HttpResponseStatus.REQUEST_TIMEOUT, "The request head did not arrive in time."));
  }

  /**
   * The connection has waited for its next request for a beat or more (the clocks said so): it is
   * put to rest (see {@link Dormant}) if nothing is half-done on it.
   */
  void mayRest() {
    boolean quiet =
        current == null
            && queued.isEmpty()
            && !draining
            && ctx.channel().config().isAutoRead()
            && codec.atRest();
    if (quiet) {
      edge.rest(ctx.pipeline(), timeouts.keepaliveDeadline());
    }
  }

  @Override
  public boolean decodesResponses() {
    return false;
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt != DRAIN) {
      super.userEventTriggered(ctx, evt);
      return;
    }
    draining = true;
    if (current == null) {
      ctx.close();
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (current != null) {
      current.clientWritabilityChanged(ctx.channel().isWritable());
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    timeouts.stop();
    if (current != null) {
      current.abort();
      current = null;
      logCompleted(ctx.newSucceededFuture());
    }
    drop();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // Resets and broken pipes are a client's right; nothing to report for them.
    edge.connectionError(cause);
    ctx.close();
  }

  private void drop() {
    Object msg;
    while ((msg = queued.poll()) != null) {
      ReferenceCountUtil.release(msg);
    }
  }
}
