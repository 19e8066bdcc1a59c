package dev.berth.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestEncoder;

/** Netty's request encoder, which also writes a head's {@link AppendedFields} after its map. */
final class RequestEncoder extends HttpRequestEncoder {

  /** The head being encoded, between its request line and its fields. */
  private HttpRequest encoding;

  @Override
  protected void encodeInitialLine(ByteBuf buf, HttpRequest request) throws Exception {
    super.encodeInitialLine(buf, request);
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
