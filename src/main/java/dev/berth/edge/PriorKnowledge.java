package dev.berth.edge;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http2.Http2CodecUtil;
import java.util.List;

/**
 * The first handler of a plain listener's connection where the listener says {@code http2_cleartext
 * = true}, until its first bytes tell: the HTTP/2 connection preface ("PRI * HTTP/2.0...", h2c with
 * prior knowledge, RFC 9113 3.3) puts the HTTP/2 handlers in place of the HTTP/1.1 ones; anything
 * else is HTTP/1.1, as on any plain listener. There is no h2c Upgrade.
 */
final class PriorKnowledge extends ByteToMessageDecoder {

  private static final ByteBuf PREFACE = Http2CodecUtil.connectionPrefaceBuf();

  private final Edge edge;

  PriorKnowledge(Edge edge) {
    this.edge = requireNonNull(edge, "edge");
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    int length = Math.min(in.readableBytes(), PREFACE.readableBytes());
    if (length == 0) {
      return;
    }
    boolean matches =
        ByteBufUtil.equals(in, in.readerIndex(), PREFACE, PREFACE.readerIndex(), length);
    if (matches && length < PREFACE.readableBytes()) {
      return; // the preface so far: wait for the rest
    }
    if (matches) {
      edge.serveHttp2(ctx.pipeline());
    }
    // What came is handed on as it is, by the decoder's removal: the HTTP/2 codec reads the
    // preface itself.
    ctx.pipeline().remove(this);
  }
}
