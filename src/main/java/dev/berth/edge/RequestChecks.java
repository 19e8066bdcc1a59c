package dev.berth.edge;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What berth checks in a request head beyond Netty's decoder (which already refuses bad field names
 * and values, bare CR/LF, NUL, Content-Length with Transfer-Encoding, repeated lengths, and codings
 * other than a final chunked). Everything ambiguous is refused before it is forwarded.
 */
final class RequestChecks {

  private RequestChecks() {}

  /** Why a request cannot be served, as a status and a sentence. */
  record Rejection(HttpResponseStatus status, String detail) {}

  static Optional<Rejection> check(HttpRequest request) {
    HttpVersion version = request.protocolVersion();
    if (!version.equals(HttpVersion.HTTP_1_1) && !version.equals(HttpVersion.HTTP_1_0)) {
      return reject(
          HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED,
          "Only HTTP/1.0 and HTTP/1.1 are served here.");
    }
    int hosts = hostFields(request.headers());
    if (hosts > 1) {
      return reject(HttpResponseStatus.BAD_REQUEST, "More than one Host field.");
    }
    if (hosts == 0 && version.equals(HttpVersion.HTTP_1_1)) {
      return reject(HttpResponseStatus.BAD_REQUEST, "HTTP/1.1 request without Host.");
    }
    if (hosts == 1 && !validHost(request.headers().get(HttpHeaderNames.HOST))) {
      return reject(HttpResponseStatus.BAD_REQUEST, "Invalid Host field.");
    }
    HttpMethod method = request.method();
    if (method.equals(HttpMethod.CONNECT)) {
      return reject(HttpResponseStatus.NOT_IMPLEMENTED, "CONNECT is not supported.");
    }
    String target = request.uri();
    boolean asterisk = target.equals("*") && method.equals(HttpMethod.OPTIONS);
    if (!asterisk && !(target.startsWith("/") || isAbsoluteForm(target)) || !visibleAscii(target)) {
      return reject(HttpResponseStatus.BAD_REQUEST, "Invalid request target.");
    }
    if (!ForwardedRequest.framingIsUnambiguous(request)) {
      return reject(
          HttpResponseStatus.NOT_IMPLEMENTED, "Only the chunked transfer coding is supported.");
    }
    String expect = request.headers().get(HttpHeaderNames.EXPECT);
    if (expect != null && !expect.trim().equalsIgnoreCase("100-continue")) {
      return reject(
          HttpResponseStatus.EXPECTATION_FAILED, "Only \"Expect: 100-continue\" is supported.");
    }
    return Optional.empty();
  }

  /**
   * The Host fields in a head, counted in a pass over its fields: getAll() made two objects for
   * every request only to be asked its size.
   */
  private static int hostFields(HttpHeaders headers) {
    int count = 0;
    for (Iterator<Map.Entry<CharSequence, CharSequence>> fields = headers.iteratorCharSequence();
        fields.hasNext(); ) {
      if (HttpHeaderNames.HOST.contentEqualsIgnoreCase(fields.next().getKey())) {
        count++;
      }
    }
    return count;
  }

  /** True when the client waits for "100 Continue" before sending its body. */
  static boolean expectsContinue(HttpRequest request) {
    return request.protocolVersion().equals(HttpVersion.HTTP_1_1)
        && request.headers().contains(HttpHeaderNames.EXPECT);
  }

  private static Optional<Rejection> reject(HttpResponseStatus status, String detail) {
    return Optional.of(new Rejection(status, detail));
  }

  private static boolean isAbsoluteForm(String target) {
    String lower = target.toLowerCase(Locale.ROOT);
    return lower.startsWith("http://") || lower.startsWith("https://");
  }

  /** Visible ASCII only, and no fragment: a request target never carries one (RFC 9112 3.2). */
  private static boolean visibleAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c <= 0x20 || c >= 0x7f || c == '#') {
        return false;
      }
    }
    return true;
  }

  /**
   * uri-host [":" port]: a reg-name, IPv4 or bracketed IPv6 literal; nothing that ends a URI part.
   */
  private static boolean validHost(String host) {
    if (host.isEmpty()) {
      return true;
    }
    for (int i = 0; i < host.length(); i++) {
      char c = host.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || "-._~:[]!$&'()*+,;=%".indexOf(c) >= 0;
      if (!ok) {
        return false;
      }
    }
    return true;
  }
}
