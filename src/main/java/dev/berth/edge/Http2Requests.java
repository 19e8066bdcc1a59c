package dev.berth.edge;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.AsciiString;
import java.util.List;

/**
 * An HTTP/2 request, as Netty's stream codec made it into an HTTP/1.1 one, made fit to go on as
 * one. Netty already turned {@code :authority} into Host and joined the cookie fields into one (RFC
 * 9113 8.2.3); what it added of its own (the {@code x-http2-*} fields: stream id, scheme, ...) is
 * berth's business, not the app's, and goes.
 */
final class Http2Requests {

  private static final List<AsciiString> EXTENSIONS =
      java.util.Arrays.stream(HttpConversionUtil.ExtensionHeaderNames.values())
          .map(HttpConversionUtil.ExtensionHeaderNames::text)
          .toList();

  private Http2Requests() {}

  /** Strips {@code request} in place of what the conversion added, and returns it. */
  static HttpRequest asHttp1(HttpRequest request) {
    HttpHeaders headers = request.headers();
    for (AsciiString name : EXTENSIONS) {
      headers.remove(name);
    }
    // RFC 9113 8.2.3: cookie pairs may come as fields of their own; an HTTP/1.1 app expects one.
    List<String> cookies = headers.getAll(HttpHeaderNames.COOKIE);
    if (cookies.size() > 1) {
      headers.set(HttpHeaderNames.COOKIE, String.join("; ", cookies));
    }
    return request;
  }
}
