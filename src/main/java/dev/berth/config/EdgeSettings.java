package dev.berth.config;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * Connection-level settings of the edge: decided before a request is routed, so global.
 *
 * @param maxHeaderSize largest request header block, in bytes (431 past it)
 * @param maxUriLength longest request target, in bytes (414 past it)
 * @param clientHeaderTimeout time a client has to send a whole request head (408 past it)
 * @param keepaliveTimeout how long an idle client connection stays open
 * @param maxConnections client connections open at once; more are closed at accept
 * @param trustedProxies peers whose X-Forwarded-* / Forwarded headers are kept and extended, and
 *     behind which the client's address is taken from X-Forwarded-For
 * @param forwardedHeader also send an RFC 7239 {@code Forwarded} header upstream
 * @param routeDefaults per-route limits used where a route sets none
 * @param threads event loops serving all connections; 0 for the default (see {@code Daemon})
 * @param transport how those loops do I/O; read at start only, as {@code threads}
 * @param http2 the limits of HTTP/2 client connections
 * @param websocketIdleTimeout how long a tunnel (an upgraded connection) may carry no byte either
 *     way before both its connections close
 * @param maxTunnels tunnels open at once; an upgrade request past it gets a 503
 */
public record EdgeSettings(
    int maxHeaderSize,
    int maxUriLength,
    Duration clientHeaderTimeout,
    Duration keepaliveTimeout,
    int maxConnections,
    TrustedProxies trustedProxies,
    boolean forwardedHeader,
    RouteLimits routeDefaults,
    int threads,
    IoTransport transport,
    Http2Limits http2,
    Duration websocketIdleTimeout,
    int maxTunnels) {

  /** Defaults of the tunnel settings: WebSockets idle up to an hour, 5000 open at once. */
  private static final Duration WEBSOCKET_IDLE_TIMEOUT = Duration.ofHours(1);

  private static final int MAX_TUNNELS = 5000;

  public EdgeSettings {
    requireNonNull(clientHeaderTimeout, "clientHeaderTimeout");
    requireNonNull(keepaliveTimeout, "keepaliveTimeout");
    requireNonNull(trustedProxies, "trustedProxies");
    requireNonNull(routeDefaults, "routeDefaults");
    requireNonNull(transport, "transport");
    requireNonNull(http2, "http2");
    requireNonNull(websocketIdleTimeout, "websocketIdleTimeout");
  }

  /** Settings with the default tunnel settings. */
  public EdgeSettings(
      int maxHeaderSize,
      int maxUriLength,
      Duration clientHeaderTimeout,
      Duration keepaliveTimeout,
      int maxConnections,
      TrustedProxies trustedProxies,
      boolean forwardedHeader,
      RouteLimits routeDefaults,
      int threads,
      IoTransport transport,
      Http2Limits http2) {
    this(
        maxHeaderSize,
        maxUriLength,
        clientHeaderTimeout,
        keepaliveTimeout,
        maxConnections,
        trustedProxies,
        forwardedHeader,
        routeDefaults,
        threads,
        transport,
        http2,
        WEBSOCKET_IDLE_TIMEOUT,
        MAX_TUNNELS);
  }

  /** Settings with the standard HTTP/2 limits (its idle timeout the keep-alive one). */
  public EdgeSettings(
      int maxHeaderSize,
      int maxUriLength,
      Duration clientHeaderTimeout,
      Duration keepaliveTimeout,
      int maxConnections,
      TrustedProxies trustedProxies,
      boolean forwardedHeader,
      RouteLimits routeDefaults,
      int threads,
      IoTransport transport) {
    this(
        maxHeaderSize,
        maxUriLength,
        clientHeaderTimeout,
        keepaliveTimeout,
        maxConnections,
        trustedProxies,
        forwardedHeader,
        routeDefaults,
        threads,
        transport,
        Http2Limits.standard(keepaliveTimeout),
        WEBSOCKET_IDLE_TIMEOUT,
        MAX_TUNNELS);
  }

  /** The kernel interface the event loops use. */
  public enum IoTransport {
    /** io_uring where the kernel allows it, else epoll, else NIO. */
    AUTO,
    IO_URING,
    EPOLL,
    NIO;

    /** The name in berth.toml. */
    public String configName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** True when {@code other} differs in what takes effect only when berth starts. */
  public boolean differsAtStart(EdgeSettings other) {
    return threads != other.threads || transport != other.transport;
  }

  /** True when {@code other} differs in what applies to new connections while berth runs. */
  public boolean differsLive(EdgeSettings other) {
    EdgeSettings otherAsStarted =
        new EdgeSettings(
            other.maxHeaderSize,
            other.maxUriLength,
            other.clientHeaderTimeout,
            other.keepaliveTimeout,
            other.maxConnections,
            other.trustedProxies,
            other.forwardedHeader,
            other.routeDefaults,
            threads,
            transport,
            other.http2,
            other.websocketIdleTimeout,
            other.maxTunnels);
    return !equals(otherAsStarted);
  }

  /** nginx-like defaults, stricter on header time (slowloris) and laxer on body size. */
  public static EdgeSettings standard() {
    return new EdgeSettings(
        8 * 1024,
        8 * 1024,
        Duration.ofSeconds(20),
        Duration.ofSeconds(75),
        10_000,
        TrustedProxies.NONE,
        false,
        RouteLimits.standard(),
        0,
        IoTransport.AUTO);
  }
}
