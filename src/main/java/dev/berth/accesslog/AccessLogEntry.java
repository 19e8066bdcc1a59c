package dev.berth.accesslog;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.Instant;

/**
 * One request as the access log records it; filled in by the edge when the exchange completes.
 *
 * @param time when the request head arrived
 * @param remoteAddress the client's address (the TCP peer, not X-Forwarded-For)
 * @param method the request method
 * @param target the request target as sent ("/path?query")
 * @param protocol "HTTP/1.1" or "HTTP/1.0"
 * @param status the status sent to the client (0 if none was sent: the connection broke first)
 * @param bodyBytesSent response body bytes written to the client (nginx's $body_bytes_sent)
 * @param referer the Referer header, or null
 * @param userAgent the User-Agent header, or null
 * @param host the Host header, or null
 * @param upstreamAddress the app instances tried, in order and separated by ", " as nginx's {@code
 *     $upstream_addr} ("unix:/path" or "127.0.0.1:port"; the last one answered or failed), or null
 *     when berth answered itself
 * @param upstreamTime from the first try at an app instance until its response ended, or null
 * @param requestTime from the request head until the response was written
 */
public record AccessLogEntry(
    Instant time,
    String remoteAddress,
    String method,
    String target,
    String protocol,
    int status,
    long bodyBytesSent,
    String referer,
    String userAgent,
    String host,
    String upstreamAddress,
    Duration upstreamTime,
    Duration requestTime) {

  public AccessLogEntry {
    requireNonNull(time, "time");
    requireNonNull(remoteAddress, "remoteAddress");
    requireNonNull(method, "method");
    requireNonNull(target, "target");
    requireNonNull(protocol, "protocol");
    requireNonNull(requestTime, "requestTime");
  }
}
