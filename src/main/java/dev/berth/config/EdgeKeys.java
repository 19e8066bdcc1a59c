package dev.berth.config;

import java.time.Duration;
import java.util.List;

/**
 * The keys of {@code [edge]}: connection-level settings, and the defaults of the per-route limits,
 * which {@code [[routes]]} may override.
 */
final class EdgeKeys {

  private static final EdgeSettings D = EdgeSettings.standard();

  static final Key<Long> MAX_HEADER_SIZE =
      Key.of(
          "max_header_size",
          Types.size(1024, 1024 * 1024),
          (long) D.maxHeaderSize(),
          "\"8k\"",
          "\"16k\"",
          "The largest request header block a client may send; past it berth answers 431.");

  static final Key<Long> MAX_URI_LENGTH =
      Key.of(
          "max_uri_length",
          Types.size(256, 1024 * 1024),
          (long) D.maxUriLength(),
          "\"8k\"",
          "\"4k\"",
          "The longest request target a client may send; past it berth answers 414.");

  static final Key<Duration> CLIENT_HEADER_TIMEOUT =
      Key.of(
          "client_header_timeout",
          Types.DURATION_TYPE,
          D.clientHeaderTimeout(),
          "\"20s\"",
          "\"10s\"",
          """
          How long a client has to send a whole request head; past it berth answers 408 and
          closes (slowloris).
          """);

  static final Key<Duration> KEEPALIVE_TIMEOUT =
      Key.of(
          "keepalive_timeout",
          Types.DURATION_TYPE,
          D.keepaliveTimeout(),
          "\"75s\"",
          "\"30s\"",
          "How long an idle client connection stays open between requests.");

  static final Key<Integer> MAX_CONNECTIONS =
      Key.of(
          "max_connections",
          Types.integer(1, 1_000_000),
          D.maxConnections(),
          "10000",
          "50000",
          "Client connections open at once; a connection past it is closed when accepted.");

  static final Key<TrustedProxies> TRUSTED_PROXIES =
      Key.of(
          "trusted_proxies",
          Addresses.TRUSTED_PROXIES,
          D.trustedProxies(),
          "[]",
          "[\"127.0.0.1\", \"unix:\"]",
          """
          Peers whose X-Forwarded-* and Forwarded headers are kept and extended (berth behind
          Apache or a load balancer): addresses, CIDR blocks, and "unix:" for every peer of a
          unix-socket listener (as nginx's set_real_ip_from unix:). From any other peer these
          headers are removed and berth sets its own. Behind a trusted peer, the access log's
          client, the access rules and the rate limits take the client from X-Forwarded-For: its
          last address that is not itself trusted (nginx's real_ip_recursive on).
          """);

  static final Key<Boolean> FORWARDED_HEADER =
      Key.of(
          "forwarded_header",
          Types.BOOLEAN,
          D.forwardedHeader(),
          "false",
          "true",
          "Also send an RFC 7239 Forwarded header to apps, besides X-Forwarded-*.");

  /** "auto" (0) or a count of event loops. */
  static final Key<Integer> THREADS =
      Key.of(
          "threads",
          ValueType.of(
              "integer or \"auto\"",
              "\"auto\" or an integer from 1 to 256",
              v -> {
                if (v.isTextual() && v.textValue().equals("auto")) {
                  return 0;
                }
                if (!v.isIntegralNumber()
                    || !v.canConvertToInt()
                    || v.intValue() < 1
                    || v.intValue() > 256) {
                  throw new Rejected("\"auto\" or an integer from 1 to 256");
                }
                return v.intValue();
              }),
          D.threads(),
          "\"auto\"",
          "2",
          """
          Event loops serving every connection, client and upstream. "auto" is half the cores,
          at least one: berth shares the host with the apps it runs. Read when berth starts; a
          reload that changes it says so and keeps the running loops.
          """);

  static final Key<EdgeSettings.IoTransport> TRANSPORT =
      Key.of(
          "transport",
          Types.choice(EdgeSettings.IoTransport.class),
          D.transport(),
          "\"auto\"",
          "\"epoll\"",
          """
          How the event loops do I/O: "io_uring", "epoll" or "nio"; "auto" takes the first this
          kernel allows. A transport that does not load stops berth up with the reason. Read when
          berth starts, as threads.
          """);

  static final Key<Long> MAX_BODY_SIZE =
      Key.of(
          "max_body_size",
          Types.size(0, Long.MAX_VALUE),
          D.routeDefaults().maxBodySize(),
          "\"10m\"",
          "\"100m\"",
          """
          The largest request body, for routes that do not set their own; past it berth answers
          413 (from Content-Length at once, or while the body streams).
          """);

  static final Key<Duration> UPSTREAM_CONNECT_TIMEOUT =
      Key.of(
          "upstream_connect_timeout",
          Types.DURATION_TYPE,
          D.routeDefaults().upstreamConnectTimeout(),
          "\"5s\"",
          "\"2s\"",
          """
          How long connecting to an app instance may take, for routes that do not set their own;
          past it the request tries another instance, or gets a 502.
          """);

  static final Key<Duration> UPSTREAM_RESPONSE_TIMEOUT =
      Key.of(
          "upstream_response_timeout",
          Types.DURATION_TYPE,
          D.routeDefaults().upstreamResponseTimeout(),
          "\"60s\"",
          "\"5m\"",
          """
          How long an app may stay silent, before or during its response, for routes that do not
          set their own; past it the client gets a 504 if nothing was sent yet, else its
          connection is cut.
          """);

  static final Key<Duration> WEBSOCKET_IDLE_TIMEOUT =
      Key.of(
          "websocket_idle_timeout",
          Types.DURATION_TYPE,
          D.websocketIdleTimeout(),
          "\"1h\"",
          "\"10m\"",
          """
          How long an upgraded connection (a WebSocket, docs/websockets.md) may carry no byte in
          either direction; past it berth closes both of its connections. Applies to tunnels
          opened after a reload that changes it.
          """);

  static final Key<Integer> MAX_TUNNELS =
      Key.of(
          "max_tunnels",
          Types.integer(1, 1_000_000),
          D.maxTunnels(),
          "5000",
          "20000",
          """
          Upgraded connections (WebSockets and other tunnels) open at once; an upgrade request
          past it gets a 503. Each also holds a client connection (max_connections) and one to
          the app.
          """);

  static final Key<Integer> HTTP2_MAX_CONCURRENT_STREAMS =
      Key.of(
          "http2_max_concurrent_streams",
          Types.integer(1, 10_000),
          D.http2().maxConcurrentStreams(),
          "128",
          "256",
          """
          Streams (requests) an HTTP/2 client may have open at once on one connection; a stream
          past it is refused (RST_STREAM REFUSED_STREAM) and the client retries it.
          """);

  static final Key<Long> HTTP2_MAX_HEADER_LIST_SIZE =
      Key.of(
          "http2_max_header_list_size",
          Types.size(1024, 1024 * 1024),
          (long) D.http2().maxHeaderListSize(),
          "\"16k\"",
          "\"32k\"",
          """
          The largest request header list an HTTP/2 client may send, counted decoded as RFC 9113
          counts it (name, value and 32 bytes per field). Past it the request gets a 431 and the
          connection a GOAWAY (ENHANCE_YOUR_CALM); a header block whose encoded size alone is a
          quarter more is refused before it is decoded (GOAWAY PROTOCOL_ERROR).
          """);

  static final Key<Long> HTTP2_INITIAL_WINDOW_SIZE =
      Key.of(
          "http2_initial_window_size",
          Types.size(1024, Integer.MAX_VALUE),
          (long) D.http2().initialWindowSize(),
          "65535",
          "\"1m\"",
          """
          The flow-control window berth gives each HTTP/2 stream a client opens: how much of a
          request body the client may send before berth has passed it on to the app. Larger
          speeds up uploads over long round trips.
          """);

  static final Key<Duration> HTTP2_IDLE_TIMEOUT =
      Key.of(
          "http2_idle_timeout",
          Types.DURATION_TYPE,
          null,
          "(keepalive_timeout's value)",
          "\"5m\"",
          """
          How long an HTTP/2 connection with no open stream stays open; then berth sends GOAWAY
          (NO_ERROR) and closes it. Checked on a beat of a quarter of the shorter of this and
          http2_send_timeout.
          """);

  static final Key<Duration> HTTP2_SEND_TIMEOUT =
      Key.of(
          "http2_send_timeout",
          Types.DURATION_TYPE,
          D.http2().sendTimeout(),
          "\"60s\"",
          "\"5m\"",
          """
          How long a response may wait on an HTTP/2 client that gives it no room to be sent (as
          nginx's send_timeout): a stream whose flow-control window stays closed that long is
          reset (RST_STREAM CANCEL); a connection whose own window stays closed that long gets
          GOAWAY (ENHANCE_YOUR_CALM) and is closed, and so is one whose bytes do not leave for the
          socket that long (a client that reads nothing). A window update starts the time again.
          """);

  static final List<Key<?>> ALL =
      List.of(
          MAX_HEADER_SIZE,
          MAX_URI_LENGTH,
          CLIENT_HEADER_TIMEOUT,
          KEEPALIVE_TIMEOUT,
          MAX_CONNECTIONS,
          TRUSTED_PROXIES,
          FORWARDED_HEADER,
          THREADS,
          TRANSPORT,
          WEBSOCKET_IDLE_TIMEOUT,
          MAX_TUNNELS,
          MAX_BODY_SIZE,
          UPSTREAM_CONNECT_TIMEOUT,
          UPSTREAM_RESPONSE_TIMEOUT,
          HTTP2_MAX_CONCURRENT_STREAMS,
          HTTP2_MAX_HEADER_LIST_SIZE,
          HTTP2_INITIAL_WINDOW_SIZE,
          HTTP2_IDLE_TIMEOUT,
          HTTP2_SEND_TIMEOUT);

  private EdgeKeys() {}
}
