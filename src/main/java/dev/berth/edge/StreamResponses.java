package dev.berth.edge;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.util.AsciiString;

/**
 * What {@link EdgeCodec}'s encoder does for an HTTP/1.1 response, for an HTTP/2 stream's: berth's
 * Server field, the route's HSTS on a TLS connection, and the count of what went out for the access
 * log. Fields that belong to an HTTP/1.1 connection (Connection, Keep-Alive, Transfer-Encoding,
 * Upgrade...) are dropped by Netty's conversion to HTTP/2 after it.
 */
final class StreamResponses extends ChannelOutboundHandlerAdapter {

  private static final AsciiString SERVER = AsciiString.cached("berth");

  private static final AsciiString STRICT_TRANSPORT_SECURITY =
      AsciiString.cached("strict-transport-security");

  private final ResponseMeter meter = new ResponseMeter();

  /** The Strict-Transport-Security value of the response (null: none). */
  private AsciiString hsts;

  ResponseMeter meter() {
    return meter;
  }

  /** The HSTS value of the coming response ("" for none). */
  void hsts(String value) {
    hsts = value.isEmpty() ? null : AsciiString.of(value);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof HttpResponse response
        && response.status().codeClass() != HttpStatusClass.INFORMATIONAL) {
      response.headers().set(HttpHeaderNames.SERVER, SERVER);
      if (hsts != null) {
        response.headers().set(STRICT_TRANSPORT_SECURITY, hsts);
      }
    }
    meter.count(msg);
    ctx.write(msg, promise);
  }
}
