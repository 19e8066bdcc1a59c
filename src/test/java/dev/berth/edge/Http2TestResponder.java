package dev.berth.edge;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.util.ReferenceCountUtil;

/**
 * A trivial HTTP/2 stream handler for tests of the connection's guards: answers each request, once
 * its end came, with 200 and a body: "ok", or {@link #BIG} bytes for {@code /big}.
 */
@ChannelHandler.Sharable
final class Http2TestResponder extends ChannelInboundHandlerAdapter {

  /** The length of {@code /big}'s body: more than a connection's first window (65535). */
  static final int BIG = 200_000;

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      boolean end = false;
      String path = (String) ctx.channel().attr(PATH).get();
      if (msg instanceof Http2HeadersFrame headers) {
        CharSequence p = headers.headers().path();
        path = p == null ? "/" : p.toString();
        ctx.channel().attr(PATH).set(path);
        end = headers.isEndStream();
      } else if (msg instanceof Http2DataFrame data) {
        end = data.isEndStream();
      }
      if (end) {
        byte[] body = "/big".equals(path) ? new byte[BIG] : "ok".getBytes();
        ctx.write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("200")));
        ctx.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(body), true));
      }
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  private static final io.netty.util.AttributeKey<Object> PATH =
      io.netty.util.AttributeKey.valueOf("berth.test.path");
}
