package dev.berth.config;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * What berth holds an HTTP/2 client connection to (the {@code http2_*} keys of [edge]).
 *
 * @param maxConcurrentStreams streams a client may have open at once on one connection
 * @param maxHeaderListSize largest decoded header list of a request, counted as RFC 9113 does
 *     (name, value and 32 bytes per field); past it the stream gets a 431 and the connection a
 *     GOAWAY
 * @param initialWindowSize the flow-control window berth gives each stream a client opens
 * @param idleTimeout how long a connection with no open stream stays open
 * @param sendTimeout how long a response may wait on a client that opens no window for it
 */
public record Http2Limits(
    int maxConcurrentStreams,
    int maxHeaderListSize,
    int initialWindowSize,
    Duration idleTimeout,
    Duration sendTimeout) {

  public Http2Limits {
    requireNonNull(idleTimeout, "idleTimeout");
    requireNonNull(sendTimeout, "sendTimeout");
  }

  /**
   * The defaults: nginx's 128 streams, 16 KiB of headers (HTTP/1.1's 8 KiB head plus HPACK's 32
   * bytes per field), RFC 9113's initial window, an idle connection kept as long as an idle
   * HTTP/1.1 one ({@code keepaliveTimeout}, as nginx does since it dropped http2_idle_timeout), and
   * nginx's send_timeout.
   */
  public static Http2Limits standard(Duration keepaliveTimeout) {
    return new Http2Limits(128, 16 * 1024, 65_535, keepaliveTimeout, Duration.ofSeconds(60));
  }
}
