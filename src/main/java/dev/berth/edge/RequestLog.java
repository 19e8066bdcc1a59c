package dev.berth.edge;

import dev.berth.accesslog.AccessLogEntry;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import java.time.Duration;
import java.time.Instant;

/** What the access log needs of one exchange, gathered while it runs. */
final class RequestLog {

  private final Instant time = Instant.now();
  private final long started = System.nanoTime();
  private final String remoteAddress;
  private final String method;
  private final String target;
  private final String protocol;
  private final String referer;
  private final String userAgent;
  private final String host;
  private String upstreamAddress;
  private long upstreamNanos = -1;

  /**
   * @param client the client as logged: the connection's peer, or the client behind a trusted proxy
   *     ({@link ClientAddress#logged})
   */
  RequestLog(HttpRequest request, String client) {
    this(request, client, request.protocolVersion().text());
  }

  /** With the protocol as logged, where it is not the request's version ("HTTP/2.0"). */
  RequestLog(HttpRequest request, String client, String protocol) {
    this.remoteAddress = client;
    this.method = request.method().name();
    this.target = request.uri();
    this.protocol = protocol;
    this.referer = request.headers().get(HttpHeaderNames.REFERER);
    this.userAgent = request.headers().get(HttpHeaderNames.USER_AGENT);
    this.host = request.headers().get(HttpHeaderNames.HOST);
  }

  /**
   * One more app instance tried, in order: listed as nginx's {@code $upstream_addr} lists them ("a,
   * b"), so that a request that went on to another instance shows where it went first. Most
   * requests try one, so nothing is made for them.
   */
  void upstreamTried(String address) {
    upstreamAddress = upstreamAddress == null ? address : upstreamAddress + ", " + address;
  }

  /** How long the instances took, from the first try until the response ended (or failed). */
  void upstreamDone(long nanos) {
    this.upstreamNanos = nanos;
  }

  AccessLogEntry entry(int status, long bodyBytesSent) {
    return new AccessLogEntry(
        time,
        remoteAddress,
        method,
        target,
        protocol,
        status,
        bodyBytesSent,
        referer,
        userAgent,
        host,
        upstreamAddress,
        upstreamNanos < 0 ? null : Duration.ofNanos(upstreamNanos),
        Duration.ofNanos(System.nanoTime() - started));
  }
}
