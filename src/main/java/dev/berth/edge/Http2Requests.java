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
    // A client may send Host beside :authority; the same value twice is one Host, two different
    // ones are left for RequestChecks to refuse (RFC 9113 8.3.1).
    List<String> hosts = headers.getAll(HttpHeaderNames.HOST);
    if (hosts.size() > 1 && hosts.stream().distinct().count() == 1) {
      headers.set(HttpHeaderNames.HOST, hosts.get(0));
    }
    return request;
  }
}
