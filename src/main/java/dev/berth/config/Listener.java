package dev.berth.config;

import static java.util.Objects.requireNonNull;

/**
 * An edge listener: a TCP address, or a unix socket.
 *
 * @param host the address to bind: an IP literal or host name; empty for all interfaces (and for a
 *     unix socket)
 * @param port the TCP port, 1..65535 (0 for a unix socket, and for any free port in tests)
 * @param tls plain HTTP, or where its TLS certificates come from
 * @param http2Cleartext whether a plain listener also takes HTTP/2 from clients that start with its
 *     preface (h2c with prior knowledge)
 * @param unix the socket file of a unix-socket listener, null for a TCP one
 */
public record Listener(
    String host, int port, ListenerTls tls, boolean http2Cleartext, UnixSocket unix) {

  public Listener {
    requireNonNull(host, "host");
    requireNonNull(tls, "tls");
    if (unix != null && (!host.isEmpty() || port != 0)) {
      throw new IllegalArgumentException("a unix-socket listener has no host or port");
    }
  }

  /** A TCP listener. */
  public Listener(String host, int port, ListenerTls tls, boolean http2Cleartext) {
    this(host, port, tls, http2Cleartext, null);
  }

  /** A TCP listener without h2c (a TLS one offers HTTP/2 by ALPN anyway). */
  public Listener(String host, int port, ListenerTls tls) {
    this(host, port, tls, false);
  }

  /** A plain HTTP listener. */
  public Listener(String host, int port) {
    this(host, port, ListenerTls.PLAIN);
  }

  /** A listener on a unix socket. */
  public static Listener unix(UnixSocket socket, ListenerTls tls, boolean http2Cleartext) {
    return new Listener("", 0, tls, http2Cleartext, requireNonNull(socket, "socket"));
  }

  /** A plain HTTP listener on a unix socket. */
  public static Listener unix(UnixSocket socket) {
    return unix(socket, ListenerTls.PLAIN, false);
  }

  /** Whether it listens on a unix socket rather than a TCP port. */
  public boolean isUnix() {
    return unix != null;
  }

  /** Whether its connections are TLS connections. */
  public boolean secure() {
    return tls.secure();
  }

  /** The same listener on another port (the one bound, where the config said 0). */
  public Listener onPort(int bound) {
    return isUnix() ? this : new Listener(host, bound, tls, http2Cleartext);
  }

  /**
   * Whether the two cannot be bound at the same time: TCP listeners on one port. (A unix socket's
   * path is taken over in place by the edge, so a reload that changes its mode has no gap.)
   */
  public boolean collidesWith(Listener other) {
    return !isUnix() && !other.isUnix() && port == other.port;
  }

  /**
   * The address as berth.toml writes it: {@code 127.0.0.1:8080}, {@code [::1]:8080}, {@code :8080},
   * {@code unix:/srv/alice/berth.sock}.
   */
  public String address() {
    if (isUnix()) {
      return "unix:" + unix.path();
    }
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }

  /**
   * The URL a person would open to reach this listener; for a unix socket its address
   * ("unix:/path", as nginx shows one), which curl takes with --unix-socket.
   */
  public String url() {
    if (isUnix()) {
      return address();
    }
    String shown =
        host.isEmpty() || host.equals("0.0.0.0") || host.equals("::") ? "localhost" : host;
    if (shown.contains(":")) {
      shown = "[" + shown + "]";
    }
    return (secure() ? "https://" : "http://") + shown + ":" + port;
  }
}
