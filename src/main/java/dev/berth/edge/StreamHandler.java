package dev.berth.edge;

import static java.util.Objects.requireNonNull;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.util.ArrayDeque;

/**
 * One HTTP/2 stream, that is one request: its head goes through the same {@link Dispatch} as an
 * HTTP/1.1 request's, and the exchange it leads to runs on the stream's channel, whose reads and
 * writability are the stream's flow control. Nothing is queued: a stream carries one request.
 */
final class StreamHandler extends ChannelInboundHandlerAdapter implements ExchangeOwner {

  /** The protocol as the access log writes it. */
  static final String PROTOCOL = "HTTP/2.0";

  private final Edge edge;
  private final StreamResponses responses;
  private final ClientAddress client;
  private ChannelHandlerContext ctx;
  private Dispatch requests;
  private Exchange current;
  private boolean started;

  StreamHandler(Edge edge, StreamResponses responses, ClientAddress client) {
    this.edge = requireNonNull(edge, "edge");
    this.responses = requireNonNull(responses, "responses");
    this.client = requireNonNull(client, "client");
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.requests = new Dispatch(edge, this, ctx, responses::hsts, client, PROTOCOL);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!started) {
      started = true;
      if (msg instanceof HttpRequest request) {
        dispatch(request);
        return;
      }
    }
    if (current != null && !current.requestDone() && msg instanceof HttpContent content) {
      current.requestContent(content);
      return;
    }
    // The rest of a body whose exchange is over (its stream is being reset), or trailers alone.
    ReferenceCountUtil.release(msg);
  }

  private void dispatch(HttpRequest request) {
    requests.begin();
    // A request without a body comes whole (its HEADERS frame ended the stream); exchanges take
    // the head, then the body's end, as from an HTTP/1.1 connection.
    LastHttpContent end = null;
    if (request instanceof FullHttpRequest full) {
      end = new DefaultLastHttpContent(full.content(), full.trailingHeaders());
      request =
          new DefaultHttpRequest(full.protocolVersion(), full.method(), full.uri(), full.headers());
    }
    try {
      Exchange exchange = requests.exchangeFor(Http2Requests.asHttp1(request));
      current = exchange;
      exchange.start();
      if (end != null) {
        exchange.requestContent(end);
        end = null;
      }
    } catch (RuntimeException e) {
      ReferenceCountUtil.release(end);
      internalError(e);
    }
  }

  /** A bug of berth's: answer 500 if nothing was sent yet, log it, and reset the stream. */
  private void internalError(RuntimeException e) {
    edge.connectionError(e);
    if (current != null) {
      current.abort();
      current = null;
    }
    if (responses.meter().status() == 0) {
      ctx.writeAndFlush(
              Responses.error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "Internal error in berth."))
          .addListener(ChannelFutureListener.CLOSE);
    } else {
      ctx.close();
    }
  }

  @Override
  public void exchangeDone(Exchange exchange, boolean keepOpen, ChannelFuture lastWrite) {
    if (exchange != current) {
      return;
    }
    current = null;
    logCompleted(lastWrite);
    if (!keepOpen) {
      // The request's body was not read to its end: once the response is out, the client is told
      // to stop sending it, without an error (RFC 9113 8.1).
      lastWrite.addListener(this::stopRequest);
    }
  }

  private void stopRequest(Future<?> responded) {
    if (ctx.channel().isActive()) {
      ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.NO_ERROR))
          .addListener(ChannelFutureListener.CLOSE);
    }
  }

  /**
   * The exchange became a {@link Tunnel} (an extended CONNECT the app answered with 101), and this
   * handler leaves the stream: the access log line (status 200, as the client got) is written when
   * the tunnel closes.
   */
  void upgraded(Exchange exchange, Tunnel tunnel) {
    if (exchange != current) {
      return;
    }
    current = null;
    requests.logTunnel(200, tunnel);
  }

  @Override
  public boolean draining() {
    // A stream's end is its own, and its connection's GOAWAY says the rest: nothing in the
    // response changes when the edge drains.
    return false;
  }

  @Override
  public boolean watchesLastWrite(boolean keepOpen) {
    return !keepOpen || requests.logging();
  }

  @Override
  public void handOver(Exchange from, Exchange next, ArrayDeque<HttpContent> body) {
    if (from != current) {
      body.forEach(ReferenceCountUtil::release);
      return;
    }
    current = next;
    ctx.channel().config().setAutoRead(true);
    try {
      Exchange.startWith(next, body);
    } catch (RuntimeException e) {
      internalError(e);
    }
  }

  @Override
  public boolean decodesResponses() {
    return true;
  }

  private void logCompleted(ChannelFuture lastWrite) {
    requests.logCompleted(responses.meter(), lastWrite);
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
      logCompleted(ctx.newSucceededFuture());
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof Http2Exception || cause.getCause() instanceof Http2Exception) {
      // A malformed request head (Netty's conversion refused it): a stream error (RFC 9113 8.1.1).
      ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.PROTOCOL_ERROR))
          .addListener(ChannelFutureListener.CLOSE);
      return;
    }
    edge.connectionError(cause);
    ctx.close();
  }
}
