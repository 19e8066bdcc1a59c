package dev.berth.edge;

import dev.berth.config.Route;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

/**
 * An app's decoded response head made fit for the client: its hop-by-hop fields dropped, a stripped
 * mount's Location rewritten, the edge's compression decided, and its framing and keep-alive as the
 * client's connection needs them. Kept apart from {@link ProxyExchange}, which only decides when a
 * head goes out.
 */
final class AppResponseHead {

  private AppResponseHead() {}

  /**
   * Rewrites {@code response} in place for the client of {@code request}.
   *
   * @param head the request was a HEAD: its response has no body, whatever its fields say
   * @param closesClient the client's connection closes after this response
   */
  static void prepare(
      HttpResponse response,
      HttpRequest request,
      Route route,
      boolean head,
      boolean closesClient,
      ResponseCompression compression) {
    ForwardedRequest.stripHopByHop(response.headers());
    ForwardedRequest.rewriteLocation(route, response.headers());
    compression.begin(response);
    boolean bodyless = head || response.status().code() == 204 || response.status().code() == 304;
    if (!bodyless
        && !HttpUtil.isContentLengthSet(response)
        && !HttpUtil.isTransferEncodingChunked(response)) {
      // The app ends its body by closing; an HTTP/1.1 client can keep its connection if we chunk.
      if (request.protocolVersion().equals(HttpVersion.HTTP_1_1)) {
        HttpUtil.setTransferEncodingChunked(response, true);
      } else {
        HttpUtil.setKeepAlive(response, false);
      }
    }
    if (closesClient) {
      HttpUtil.setKeepAlive(response, false);
    }
    response.setProtocolVersion(HttpVersion.HTTP_1_1);
  }
}
