package dev.berth.config;

import static java.util.Objects.requireNonNull;

/**
 * An edge listener.
 *
 * @param host the address to bind: an IP literal or host name; empty for all interfaces
 * @param port the TCP port, 1..65535
 * @param tls plain HTTP, or where its TLS certificates come from
 */
public record Listener(String host, int port, ListenerTls tls) {

  public Listener {
    requireNonNull(host, "host");
    requireNonNull(tls, "tls");
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
    return new Listener(host, bound, tls);
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
