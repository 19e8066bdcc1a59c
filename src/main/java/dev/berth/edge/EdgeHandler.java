package dev.berth.edge;

import static java.util.Objects.requireNonNull;

import dev.berth.config.Route;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.Optional;

/**
 * One client connection: takes each request, asks the router where it goes, and runs one {@link
 * Exchange} at a time. Requests pipelined behind the current one are held (and reading paused)
 * until it completes, so responses go out in request order.
 */
final class EdgeHandler extends ChannelInboundHandlerAdapter {

  /** User event: the edge is shutting down; close once the current exchange completes. */
  static final Object DRAIN = new Object();

  private final Edge edge;
  private final ArrayDeque<Object> queued = new ArrayDeque<>();
  private ChannelHandlerContext ctx;
  private Exchange current;
  private boolean draining;

  EdgeHandler(Edge edge) {
    this.edge = requireNonNull(edge, "edge");
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (current == null) {
      dispatch(msg);
      return;
    }
    if (!current.requestDone() && msg instanceof HttpContent content && !(msg instanceof HttpRequest)) {
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
    if (request.decoderResult().isFailure()) {
      rejectMalformed(request);
      return;
    }
    try {
      Exchange exchange = exchangeFor(request);
      current = exchange;
      exchange.start();
      if (msg instanceof HttpContent content) {
        exchange.requestContent(content);
      }
    } catch (RuntimeException e) {
      internalError(e);
    }
  }

  /** A bug of berth's: answer 500 if we still can, log it, and close; the daemon goes on. */
  private void internalError(RuntimeException e) {
    edge.connectionError(e);
    if (current != null) {
      current.abort();
      current = null;
    }
    drop();
    FullHttpResponse response = Responses.error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "Internal error in berth.");
    HttpUtil.setKeepAlive(response, false);
    ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
  }

  private Exchange exchangeFor(HttpRequest request) {
    String path = pathOf(request.uri());
    if (request.protocolVersion().equals(HttpVersion.HTTP_1_1)
        && !request.headers().contains(HttpHeaderNames.HOST)) {
      FullHttpResponse response = Responses.error(HttpResponseStatus.BAD_REQUEST, "HTTP/1.1 request without Host.");
      HttpUtil.setKeepAlive(response, false);
      return local(request, response);
    }
    Optional<Route> route = edge.router().route(request.headers().get(HttpHeaderNames.HOST), path);
    if (route.isEmpty()) {
      return local(request, Responses.error(HttpResponseStatus.NOT_FOUND, "No route matches this host and path."));
    }
    return switch (route.get().target()) {
      case Route.AppTarget app -> new ProxyExchange(this, ctx, edge, request, route.get(), app.app());
      case Route.StaticTarget files ->
          new LocalExchange(
              this,
              () ->
                  StaticResponder.respond(
                      ctx, request, files, path.substring(prefixLength(route.get())), draining));
    };
  }

  private static int prefixLength(Route route) {
    return route.path().equals("/") ? 0 : route.path().length();
  }

  /** An exchange answered by a ready-made response. */
  Exchange local(HttpRequest request, FullHttpResponse response) {
    return new LocalExchange(this, () -> write(request, response));
  }

  private ChannelFuture write(HttpRequest request, FullHttpResponse response) {
    if (draining) {
      HttpUtil.setKeepAlive(response, false);
    }
    return ctx.writeAndFlush(response);
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
    FullHttpResponse response = Responses.error(status, detail);
    HttpUtil.setKeepAlive(response, false);
    ReferenceCountUtil.release(request);
    ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    drop();
  }

  /**
   * The current exchange is over. The connection then closes (when asked to, or when the edge
   * drains) once {@code lastWrite} is flushed, or goes on with the next queued request.
   */
  void exchangeDone(Exchange exchange, boolean keepOpen, ChannelFuture lastWrite) {
    if (exchange != current) {
      return;
    }
    current = null;
    if (!keepOpen || draining) {
      lastWrite.addListener(ChannelFutureListener.CLOSE);
      drop();
      return;
    }
    while (!queued.isEmpty()) {
      Object msg = queued.poll();
      if (current == null) {
        dispatch(msg);
      } else if (!current.requestDone() && msg instanceof HttpContent content && !(msg instanceof HttpRequest)) {
        current.requestContent(content);
      } else {
        queued.addFirst(msg);
        return;
      }
    }
    ctx.channel().config().setAutoRead(true);
  }

  boolean draining() {
    return draining;
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
    if (current != null) {
      current.abort();
      current = null;
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

  /** "/a/b?x=1" -> "/a/b"; an absolute-form target "http://h/a?x" -> "/a". */
  static String pathOf(String uri) {
    String target = uri;
    int scheme = target.indexOf("://");
    if (scheme > 0 && scheme < 8) {
      int slash = target.indexOf('/', scheme + 3);
      target = slash < 0 ? "/" : target.substring(slash);
    }
    int query = target.indexOf('?');
    if (query >= 0) {
      target = target.substring(0, query);
    }
    int fragment = target.indexOf('#');
    if (fragment >= 0) {
      target = target.substring(0, fragment);
    }
    return target.isEmpty() ? "/" : target;
  }
}
