package dev.berth.config;

import static java.util.Objects.requireNonNull;

/**
 * An edge listener.
 *
 * @param host the address to bind: an IP literal or host name; empty for all interfaces
 * @param port the TCP port, 1..65535
 */
public record Listener(String host, int port) {

  public Listener {
    requireNonNull(host, "host");
  }

  /** The URL a person would open to reach this listener. */
  public String url() {
    String shown =
        host.isEmpty() || host.equals("0.0.0.0") || host.equals("::") ? "localhost" : host;
    if (shown.contains(":")) {
      shown = "[" + shown + "]";
    }
    return "http://" + shown + ":" + port;
  }
}
