package dev.berth.edge;

import static java.util.Objects.requireNonNull;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameStreamEvent;
import io.netty.handler.codec.http2.Http2FrameStreamException;

/**
 * An HTTP/2 connection's answer to {@link EdgeHandler#DRAIN} (shutdown, a listener taken away): a
 * GOAWAY with the last stream id the client opened (the frame codec fills it in), so the client
 * opens no more; the streams in flight go on, and the connection closes when the last of them ends.
 * One still busy at the drain timeout is closed by the edge, as an HTTP/1.1 connection is; a
 * WebSocket stream goes away at once, with 1001 ({@link ExtendedConnect#drain}). A connection's own
 * failure (a reset, a broken pipe) ends here too, as {@link EdgeHandler} ends an HTTP/1.1 one's; a
 * stream's goes on to the stream.
 */
final class Http2Drain extends ChannelInboundHandlerAdapter {

  private final Edge edge;
  private final Http2Connection connection;
  private boolean draining;

  Http2Drain(Edge edge, Http2Connection connection) {
    this.edge = requireNonNull(edge, "edge");
    this.connection = requireNonNull(connection, "connection");
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof Http2FrameStreamException) {
      ctx.fireExceptionCaught(cause);
      return;
    }
    if (Http2CodecUtil.getEmbeddedHttp2Exception(cause) != null) {
      // The client broke the protocol or a limit (Http2Codecs): the codec tells it in a GOAWAY
      // after this, then closes. Closing here would lose the GOAWAY; logging, flood the log.
      return;
    }
    edge.connectionError(cause);
    ctx.close();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt == EdgeHandler.DRAIN) {
      if (!draining) {
        draining = true;
        ExtendedConnect.drain(ctx.channel());
        var sent = ctx.writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR));
        if (connection.numActiveStreams() == 0) {
          sent.addListener(ChannelFutureListener.CLOSE);
        }
      }
      return;
    }
    ctx.fireUserEventTriggered(evt);
    // A stream's state changed; when the last one closed, so does the connection.
    if (draining && evt instanceof Http2FrameStreamEvent && connection.numActiveStreams() == 0) {
      ctx.close();
    }
  }
}
