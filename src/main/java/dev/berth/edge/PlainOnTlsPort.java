package dev.berth.edge;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The first handler of a TLS listener's connection, until its first byte: a TLS handshake record
 * goes on to the certificate picker; plain HTTP gets a 400 that says so, as nginx answers; anything
 * else is closed without a word (and without a stack trace in the log).
 */
final class PlainOnTlsPort extends ByteToMessageDecoder {

  /** TLS record type 22, a handshake: every TLS connection starts with one. */
  private static final int HANDSHAKE = 22;

  private static final byte[] ANSWER = answer();

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (!in.isReadable()) {
      return;
    }
    int first = in.getUnsignedByte(in.readerIndex());
    if (first == HANDSHAKE) {
      // What came is handed on as it is, by the decoder's removal.
      ctx.pipeline().remove(this);
      return;
    }
    in.skipBytes(in.readableBytes());
    if (first >= 'A' && first <= 'Z') {
      ctx.writeAndFlush(Unpooled.wrappedBuffer(ANSWER)).addListener(ChannelFutureListener.CLOSE);
    } else {
      ctx.close();
    }
  }

  private static byte[] answer() {
    String body = "The plain HTTP request was sent to HTTPS port.\n";
    String head =
        "HTTP/1.1 400 Bad Request\r\n"
            + "Server: berth\r\n"
            + "Content-Type: text/plain; charset=utf-8\r\n"
            + "Content-Length: "
            + body.length()
            + "\r\n"
            + "Connection: close\r\n"
            + "\r\n";
    return (head + body).getBytes(StandardCharsets.US_ASCII);
  }
}
