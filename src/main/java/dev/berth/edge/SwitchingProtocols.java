package dev.berth.edge;

import static java.util.Objects.requireNonNull;

import dev.berth.config.EdgeSettings;
import dev.berth.config.Route;
import dev.berth.upstream.Peer;
import dev.berth.upstream.RequestOutcome;
import dev.berth.upstream.UpstreamPool;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * An HTTP/1.1 request that asks to switch protocols (Upgrade, RFC 9110 7.8) to one its route allows
 * (route key {@code upgrades}): it goes to the app with its Upgrade and {@code Connection: upgrade}
 * fields, and when the app answers 101 the client gets that 101 and both connections become a
 * {@link Tunnel}: the HTTP handlers leave both pipelines (the bytes either side sent past the heads
 * go through), and the connection to the app never goes back to the pool.
 *
 * <p>One per proxied request that asks; {@link ProxyExchange} calls it at the start and at the 101.
 */
final class SwitchingProtocols {

  private final Edge edge;
  private final ExchangeOwner owner;
  private final ChannelHandlerContext client;
  private final HttpRequest request;
  private final Route route;

  /** The Upgrade value sent to the app: the protocols asked for that the route allows. */
  private final String protocols;

  /** An HTTP/2 stream's extended CONNECT (RFC 8441, {@link ExtendedConnect}). */
  private final boolean overHttp2;

  /** The Sec-WebSocket-Key berth made for the app, over HTTP/2. */
  private String key;

  private SwitchingProtocols(
      Edge edge,
      ExchangeOwner owner,
      ChannelHandlerContext client,
      HttpRequest request,
      Route route,
      String protocols,
      boolean overHttp2) {
    this.edge = requireNonNull(edge, "edge");
    this.owner = requireNonNull(owner, "owner");
    this.overHttp2 = overHttp2;
    this.client = requireNonNull(client, "client");
    this.request = requireNonNull(request, "request");
    this.route = requireNonNull(route, "route");
    this.protocols = requireNonNull(protocols, "protocols");
  }

  /**
   * The switch {@code request} asks for, when its route lets one of its protocols through; null for
   * a request that goes on as a plain one (without Upgrade, as every hop-by-hop field). Called
   * before ForwardedRequest strips the request's fields.
   */
  static SwitchingProtocols asked(
      Edge edge,
      ExchangeOwner owner,
      ChannelHandlerContext client,
      HttpRequest request,
      Route route) {
    HttpHeaders headers = request.headers();
    if (owner instanceof StreamHandler) {
      // An HTTP/2 stream has no Upgrade (RFC 9113 8.2.2): only an extended CONNECT switches, and
      // Dispatch refused one whose route does not allow it.
      String protocol = ExtendedConnect.protocolOf(client.channel());
      return protocol == null || ExtendedConnect.refusal(client.channel(), route) != null
          ? null
          : new SwitchingProtocols(edge, owner, client, request, route, protocol, true);
    }
    if (!(owner instanceof EdgeHandler)
        || !(route.target() instanceof Route.AppTarget app)
        || app.upgrades().isEmpty()
        || !headers.contains(HttpHeaderNames.UPGRADE)
        // An HTTP/1.0 request's Upgrade is ignored (RFC 9110 7.8), and so is one that its
        // Connection field does not name.
        || !request.protocolVersion().equals(HttpVersion.HTTP_1_1)
        || !headers.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)) {
      return null;
    }
    List<String> allowed = new ArrayList<>();
    for (String line : headers.getAll(HttpHeaderNames.UPGRADE)) {
      for (String protocol : line.split(",")) {
        if (!protocol.isBlank() && app.allowsUpgrade(protocol)) {
          allowed.add(protocol.strip());
        }
      }
    }
    return allowed.isEmpty()
        ? null
        : new SwitchingProtocols(
            edge, owner, client, request, route, String.join(", ", allowed), false);
  }

  /** Puts the switch back into the head that goes to the app (it lost its hop-by-hop fields). */
  void ask(HttpRequest forwarded) {
    forwarded
        .headers()
        .set(HttpHeaderNames.UPGRADE, protocols)
        .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
    if (overHttp2) {
      key = ExtendedConnect.ask(forwarded);
    }
  }

  /** Whether max_tunnels are open: the request then gets a 503 without asking the app. */
  boolean full() {
    return edge.tunnels().count() >= edge.settings().maxTunnels();
  }

  /**
   * The app answered 101 on {@code app}, which the exchange let go of (its peer counts it as in
   * flight until the tunnel closes). Either the tunnel opens, or the client gets a 502 or 503 and
   * the connection to the app closes.
   *
   * @param requestDone whether the whole request went out: only then is the switch well-defined
   */
  void switched(
      Exchange exchange,
      UpstreamPool.Connection app,
      Peer peer,
      String appName,
      HttpResponse response,
      boolean requestDone) {
    String chosen = response.headers().get(HttpHeaderNames.UPGRADE);
    if (!requestDone || chosen == null || !lists(protocols, chosen)) {
      refuse(
          exchange,
          app,
          peer,
          HttpResponseStatus.BAD_GATEWAY,
          "App \"" + appName + "\" switched protocols in a way it was not asked to.",
          requestDone);
      return;
    }
    if (overHttp2 && !ExtendedConnect.accepts(response, key)) {
      refuse(
          exchange,
          app,
          peer,
          HttpResponseStatus.BAD_GATEWAY,
          "App \""
              + appName
              + "\" answered the WebSocket handshake with a wrong Sec-WebSocket-Accept.",
          true);
      return;
    }
    EdgeSettings settings = edge.settings();
    Tunnels tunnels = edge.tunnels();
    if (!tunnels.reserve(settings.maxTunnels())) {
      refuse(
          exchange,
          app,
          peer,
          HttpResponseStatus.SERVICE_UNAVAILABLE,
          "Too many open WebSockets and other upgraded connections.",
          true);
      return;
    }
    Tunnel tunnel =
        new Tunnel(
            chosen.strip().equalsIgnoreCase("websocket"),
            settings.websocketIdleTimeout(),
            closed -> {
              tunnels.closed(closed);
              peer.tunnelClosed(closed);
              peer.end(RequestOutcome.Kind.TUNNEL_CLOSED, null, request, 101, 0);
            });
    tunnels.opened(
        tunnel,
        new Tunnels.Place(
            appName,
            request.headers().get(HttpHeaderNames.HOST, ""),
            Dispatch.pathOf(request.uri())));
    peer.tunnelOpened(tunnel);
    if (overHttp2) {
      switchStream(exchange, app, response, tunnel);
      return;
    }
    EdgeHandler connection = (EdgeHandler) owner;
    ChannelPipeline pipeline = client.pipeline();
    // The 101 through the HTTP encoder, which then leaves: whatever follows is the tunnel's bytes.
    client.write(answer(response, chosen), client.voidPromise());
    pipeline.remove(EdgeCodec.Encoder.class);
    pipeline.addLast(tunnel.clientEnd());
    // The app's bytes past its 101, if any, go to the client from here on.
    app.upgrade(tunnel.appEnd());
    connection.upgraded(exchange, tunnel);
    pipeline.remove(EdgeHandler.class);
    // The request decoder held what the client sent past its request (see EdgeCodec.Decoder):
    // removed, it hands that on to the tunnel.
    pipeline.remove(EdgeCodec.Decoder.class);
    pipeline.flush();
    tunnel.start();
  }

  /** The stream's side of {@link #switched}: a 200 on it, then its DATA frames are the tunnel's. */
  private void switchStream(
      Exchange exchange, UpstreamPool.Connection app, HttpResponse response, Tunnel tunnel) {
    ChannelPipeline pipeline = client.pipeline();
    client.write(ExtendedConnect.answer(response), client.voidPromise());
    ((StreamHandler) owner).upgraded(exchange, tunnel);
    ExtendedConnect.tunnel(pipeline, tunnel.clientEnd());
    app.upgrade(tunnel.appEnd());
    pipeline.flush();
    tunnel.start();
    ExtendedConnect.opened(client.channel(), tunnel);
    ExtendedConnect.started(pipeline);
  }

  /** The 101 to the client: the app's fields less the hop-by-hop ones, and the switch. */
  private static FullHttpResponse answer(HttpResponse response, String chosen) {
    HttpHeaders headers = response.headers();
    ForwardedRequest.stripHopByHop(headers);
    headers
        .set(HttpHeaderNames.UPGRADE, chosen)
        .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
    return new DefaultFullHttpResponse(
        HttpVersion.HTTP_1_1,
        HttpResponseStatus.SWITCHING_PROTOCOLS,
        Unpooled.EMPTY_BUFFER,
        headers,
        DefaultHttpHeadersFactory.trailersFactory().newEmptyHeaders());
  }

  private void refuse(
      Exchange exchange,
      UpstreamPool.Connection app,
      Peer peer,
      HttpResponseStatus status,
      String detail,
      boolean requestDone) {
    app.close();
    peer.end(RequestOutcome.Kind.CUT_BEFORE_ANSWER, null, request, status.code(), 0);
    FullHttpResponse error =
        AccessResponses.error(route, status, detail, request.headers().get(HttpHeaderNames.ACCEPT));
    if (!requestDone) {
      HttpUtil.setKeepAlive(error, false);
    }
    ChannelFuture written = client.writeAndFlush(error);
    client.channel().config().setAutoRead(true);
    owner.exchangeDone(exchange, requestDone, written);
  }

  /** Whether the comma-separated {@code asked} names {@code chosen} (case aside). */
  private static boolean lists(String asked, String chosen) {
    String wanted = chosen.strip().toLowerCase(Locale.ROOT);
    for (String protocol : asked.split(",")) {
      if (protocol.strip().toLowerCase(Locale.ROOT).equals(wanted)) {
        return true;
      }
    }
    return false;
  }
}
