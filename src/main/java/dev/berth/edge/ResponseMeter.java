package dev.berth.edge;

import dev.berth.upstream.RawBody;
import dev.berth.upstream.RawResponse;
import io.netty.buffer.ByteBuf;
import io.netty.channel.FileRegion;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.stream.ChunkedInput;

/**
 * Counts what goes to the client for the current response, its status and body bytes, for the
 * access log. {@link EdgeCodec}'s encoder shows it every message it writes.
 */
final class ResponseMeter {

  private int status;
  private long bodyBytes;

  /** A message on its way to the client. */
  void count(Object msg) {
    if (msg instanceof HttpResponse response
        && response.status().codeClass() != HttpStatusClass.INFORMATIONAL) {
      status = response.status().code();
      bodyBytes = 0;
    }
    if (msg instanceof RawResponse raw) {
      status = raw.status();
      bodyBytes = 0;
    }
    if (msg instanceof HttpContent content) {
      bodyBytes += content.content().readableBytes();
    } else if (msg instanceof FileRegion region) {
      bodyBytes += region.count();
    } else if (msg instanceof ChunkedInput<?> file) {
      bodyBytes += file.length();
    } else if (msg instanceof RawBody body) {
      bodyBytes += body.content().readableBytes();
    } else if (msg instanceof ByteBuf buf) {
      bodyBytes += buf.readableBytes();
    }
  }

  int status() {
    return status;
  }

  long bodyBytes() {
    return bodyBytes;
  }

  /** A new exchange begins: nothing sent for it yet. */
  void reset() {
    status = 0;
    bodyBytes = 0;
  }
}
