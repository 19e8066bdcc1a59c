package dev.berth.edge;

import dev.berth.upstream.RawBody;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;

/**
 * Decides whether a client connection stays open after a response, as Netty's
 * HttpServerKeepAliveHandler does, except that responses whose length is known without a header
 * (304, 204, and any answer to HEAD) keep the connection: Netty closes after every 304, which costs
 * a new connection for each revalidated asset.
 *
 * <p>Not a handler of its own: {@link EdgeCodec}'s decoder tells it each request and its encoder
 * each final response, which saves two pipeline hops per message.
 */
final class KeepAlive {

  /**
   * Per request not yet answered: its method and whether its client asked to keep the connection.
   */
  private record Pending(HttpMethod method, boolean keepAlive, boolean http10) {}

  private static final byte[] CONNECTION_CLOSE =
      "Connection: close\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] CONNECTION_KEEP_ALIVE =
      "Connection: keep-alive\r\n".getBytes(StandardCharsets.US_ASCII);

  private final ArrayDeque<Pending> pending = new ArrayDeque<>(2);

  /** The method of the request the response being written answers (null when none). */
  private HttpMethod answering;

  private boolean closeAfterResponse;

  boolean atRest() {
    return pending.isEmpty() && !closeAfterResponse;
  }

  /** A request head was decoded: its response is owed. */
  void requested(HttpRequest request) {
    pending.add(
        new Pending(
            request.method(),
            HttpUtil.isKeepAlive(request),
            request.protocolVersion().equals(HttpVersion.HTTP_1_0)));
  }

  /**
   * A final (not 1xx) response head goes out: pairs it with the oldest unanswered request and says
   * in its headers whether the connection stays.
   */
  void responding(HttpResponse response) {
    Pending request = pairUp();
    boolean keep =
        decide(request, HttpUtil.isKeepAlive(response) && lengthIsKnown(response, answering));
    if (keep && request.http10()) {
      // HTTP/1.0 closes by default: say that this connection stays.
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
    }
    if (!keep) {
      HttpUtil.setKeepAlive(response, false);
    }
  }

  /**
   * A final response head goes out as the app's bytes (upstream.RawResponse), whose length is
   * known. Returns the Connection field to add to it, as a whole line, or null for none.
   *
   * @param closing berth closes the connection after this response whatever the client asked
   */
  byte[] responding(boolean closing) {
    Pending request = pairUp();
    if (!decide(request, !closing)) {
      return CONNECTION_CLOSE;
    }
    return request.http10() ? CONNECTION_KEEP_ALIVE : null;
  }

  /** Pairs the response going out with the oldest unanswered request (null when none was read). */
  private Pending pairUp() {
    Pending request = pending.poll();
    answering = request == null ? null : request.method();
    return request;
  }

  /**
   * Whether the connection stays after this response: its client and the response both allow it.
   */
  private boolean decide(Pending request, boolean responseAllows) {
    boolean keep = request != null && request.keepAlive() && responseAllows;
    closeAfterResponse = !keep;
    return keep;
  }

  /** Whether the response being written answers a HEAD request (and so has no body). */
  boolean answersHead() {
    return HttpMethod.HEAD.equals(answering);
  }

  /** Whether the connection closes once {@code msg} is written: it ends a response that says so. */
  boolean closesAfter(Object msg) {
    return closeAfterResponse
        && (msg instanceof LastHttpContent || (msg instanceof RawBody body && body.last()));
  }

  /** Whether the client can tell where this response ends without the connection closing. */
  private static boolean lengthIsKnown(HttpResponse response, HttpMethod method) {
    int code = response.status().code();
    return HttpUtil.isContentLengthSet(response)
        || HttpUtil.isTransferEncodingChunked(response)
        || code == 204
        || code == 304
        || HttpMethod.HEAD.equals(method);
  }
}
