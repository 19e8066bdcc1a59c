package dev.berth.config;

import static java.util.Objects.requireNonNull;

/**
 * An edge listener.
 *
 * @param host the address to bind: an IP literal or host name; empty for all interfaces
 * @param port the TCP port, 1..65535
 * @param tls plain HTTP, or where its TLS certificates come from
 * @param http2Cleartext whether a plain listener also takes HTTP/2 from clients that start with its
 *     preface (h2c with prior knowledge)
 */
public record Listener(String host, int port, ListenerTls tls, boolean http2Cleartext) {

  public Listener {
    requireNonNull(host, "host");
    requireNonNull(tls, "tls");
  }

  /** A listener without h2c (a TLS one offers HTTP/2 by ALPN anyway). */
  public Listener(String host, int port, ListenerTls tls) {
    this(host, port, tls, false);
  }

  /** A plain HTTP listener. */
  public Listener(String host, int port) {
    this(host, port, ListenerTls.PLAIN);
  }

  /** Whether its connections are TLS connections. */
  public boolean secure() {
    return tls.secure();
  }

  /** The same listener on another port (the one bound, where the config said 0). */
  public Listener onPort(int bound) {
    return new Listener(host, bound, tls, http2Cleartext);
  }

  /** The URL a person would open to reach this listener. */
  public String url() {
    String shown =
        host.isEmpty() || host.equals("0.0.0.0") || host.equals("::") ? "localhost" : host;
    if (shown.contains(":")) {
      shown = "[" + shown + "]";
    }
    return (secure() ? "https://" : "http://") + shown + ":" + port;
  }
}
