package dev.berth.edge;

import io.netty.handler.codec.http.HttpMethod;
import java.util.Set;

/**
 * Whether a request that an instance failed goes on to another one, as nginx's {@code
 * proxy_next_upstream} (error), {@code proxy_next_upstream_tries} and its non-idempotent rule
 * decide.
 *
 * <ul>
 *   <li>Nothing sent (the connection was refused, failed or timed out while connecting): the app
 *       cannot have seen the request, so the next instance is always tried, each once.
 *   <li>Sent, then lost (the connection closed or reset before any response byte, or the response
 *       head was malformed): the request itself may be what ends the instance, and every retry
 *       would end one more. So it goes on at most {@code retries} times, and only when sending it
 *       again cannot repeat an effect: an idempotent method (RFC 9110 9.2.2) and no body. A body is
 *       streamed and not kept, so once any of it went out (even all of it) there is nothing to send
 *       again, as nginx with {@code proxy_request_buffering off}.
 *   <li>A silence past the response timeout is not retried: the app may still be at work on it.
 * </ul>
 *
 * A loss on a keep-alive connection taken from the pool counts too, although it may only mean that
 * the connection went stale: berth cannot tell that from an instance that died of this request
 * (nginx gives it a free try, which lets a request of death end one instance more).
 */
final class RetryRule {

  /** Methods that may be sent twice (RFC 9110 9.2.2). */
  private static final Set<HttpMethod> IDEMPOTENT =
      Set.of(
          HttpMethod.GET,
          HttpMethod.HEAD,
          HttpMethod.OPTIONS,
          HttpMethod.TRACE,
          HttpMethod.PUT,
          HttpMethod.DELETE);

  private RetryRule() {}

  /**
   * After a request was sent and lost: whether to send it to another instance.
   *
   * @param method the request's method
   * @param hasBody whether the request has a body (declared, or any byte of it sent)
   * @param lost how many times this request was sent and lost, this loss included
   * @param retries how many of those losses may be retried (the app's {@code retries})
   */
  static boolean retryAfterLoss(HttpMethod method, boolean hasBody, int lost, int retries) {
    return lost <= retries && !hasBody && IDEMPOTENT.contains(method);
  }
}
