package dev.berth.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestEncoder;
import java.nio.charset.StandardCharsets;

/**
 * Netty's request encoder, which also writes a head's {@link AppendedFields} after its map and a
 * {@link SlicedTarget}'s target from its slice.
 */
final class RequestEncoder extends HttpRequestEncoder {

  private static final int CRLF = ('\r' << 8) | '\n';

  /** The head being encoded, between its request line and its fields. */
  private HttpRequest encoding;

  @Override
  protected void encodeInitialLine(ByteBuf buf, HttpRequest request) throws Exception {
    if (request instanceof SlicedTarget sliced) {
      // Netty's line, less its repair of an absolute-form target without a path: this one is in
      // origin form already.
      ByteBufUtil.copy(request.method().asciiName(), buf);
      buf.writeByte(' ');
      sliced.writeTarget(buf);
      buf.writeByte(' ');
      buf.writeCharSequence(request.protocolVersion().text(), StandardCharsets.US_ASCII);
      buf.writeShort(CRLF);
    } else {
      super.encodeInitialLine(buf, request);
    }
    encoding = request;
  }

  @Override
  protected void encodeHeaders(HttpHeaders headers, ByteBuf buf) {
    super.encodeHeaders(headers, buf);
    if (encoding instanceof AppendedFields appended) {
      appended.appendFields(buf);
    }
    encoding = null;
  }
}
