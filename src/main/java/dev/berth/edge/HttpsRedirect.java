package dev.berth.edge;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/**
 * A plain-HTTP request for a host that a TLS listener serves: a 308 to the same target over https
 * (308, not 301: the method and body are kept). ACME's HTTP-01 challenges are left to be answered
 * over plain HTTP, as the CA asks them.
 */
final class HttpsRedirect {

  static final String ACME_CHALLENGE = "/.well-known/acme-challenge/";

  private HttpsRedirect() {}

  /** Whether a request for {@code path} stays on plain HTTP whatever its host. */
  static boolean exempt(String path) {
    return path.startsWith(ACME_CHALLENGE);
  }

  /**
   * The redirect to {@code authority} ("host" or "host:port") with the request's target.
   *
   * @param target the request's target in origin form
   */
  static FullHttpResponse to(String authority, String target) {
    String location = "https://" + authority + target;
    byte[] body = ("Moved to " + location + "\n").getBytes(StandardCharsets.UTF_8);
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1,
            HttpResponseStatus.PERMANENT_REDIRECT,
            Unpooled.wrappedBuffer(body));
    response.headers().set(HttpHeaderNames.LOCATION, location);
    response
        .headers()
        .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN + "; charset=utf-8");
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
    return response;
  }

  /** The Host field's name, without its port (an IPv6 literal keeps its brackets). */
  static String hostOf(String hostField) {
    if (hostField == null) {
      return null;
    }
    int colon = hostField.lastIndexOf(':');
    if (colon < 0 || hostField.endsWith("]")) {
      return hostField;
    }
    return hostField.substring(0, colon);
  }
}
