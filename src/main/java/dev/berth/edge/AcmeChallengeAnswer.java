package dev.berth.edge;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;

/**
 * The answer to an ACME HTTP-01 challenge (RFC 8555, 8.3): a GET for {@code
 * /.well-known/acme-challenge/TOKEN} gets the token's key authorization as text/plain, when an
 * order in progress knows the token. Anything else falls through to routing, so a site that serves
 * that path itself still does.
 */
final class AcmeChallengeAnswer {

  /** Where the CA asks; a redirect to https must leave these requests alone. */
  static final String PATH_PREFIX = HttpsRedirect.ACME_CHALLENGE;

  private AcmeChallengeAnswer() {}

  /**
   * The answer to {@code request} (whose path is {@code path}), or null when it is not a challenge
   * that {@code answers} (token to key authorization, null when unknown) knows.
   */
  static FullHttpResponse answer(
      HttpRequest request, String path, Function<String, String> answers) {
    if (!path.startsWith(PATH_PREFIX)) {
      return null;
    }
    HttpMethod method = request.method();
    if (!method.equals(HttpMethod.GET) && !method.equals(HttpMethod.HEAD)) {
      return null;
    }
    String token = path.substring(PATH_PREFIX.length());
    if (!isToken(token)) {
      return null;
    }
    String keyAuthorization = answers.apply(token);
    if (keyAuthorization == null) {
      return null;
    }
    ByteBuf body =
        method.equals(HttpMethod.HEAD)
            ? Unpooled.EMPTY_BUFFER
            : Unpooled.copiedBuffer(keyAuthorization, StandardCharsets.US_ASCII);
    FullHttpResponse response =
        new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
    response
        .headers()
        .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN)
        .set(HttpHeaderNames.CONTENT_LENGTH, keyAuthorization.length())
        .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
    return response;
  }

  /** A token is base64url without padding (RFC 8555, 8.1); nothing else is looked up. */
  private static boolean isToken(String token) {
    if (token.isEmpty() || token.length() > 256) {
      return false;
    }
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      boolean ok =
          (c >= 'A' && c <= 'Z')
              || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9')
              || c == '-'
              || c == '_';
      if (!ok) {
        return false;
      }
    }
    return true;
  }
}
