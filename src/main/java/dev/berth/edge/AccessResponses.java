package dev.berth.edge;

import dev.berth.access.Verdict;
import dev.berth.config.Route;
import dev.berth.config.RouteAccess;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

/** The answers of a route's access rules, its redirects, and an app's own error pages. */
final class AccessResponses {

  private AccessResponses() {}

  /** The answer to a request the rules did not let through. */
  static FullHttpResponse refusal(Verdict verdict, String accept) {
    return switch (verdict) {
      case Verdict.Forbidden f ->
          Responses.error(
              HttpResponseStatus.FORBIDDEN, "Access to this address is denied.", accept);
      case Verdict.Unauthorized u -> {
        FullHttpResponse response =
            Responses.error(
                HttpResponseStatus.UNAUTHORIZED,
                "This address needs a user name and password.",
                accept);
        response
            .headers()
            .set(
                HttpHeaderNames.WWW_AUTHENTICATE,
                "Basic realm=\"" + u.realm() + "\", charset=\"UTF-8\"");
        yield response;
      }
      case Verdict.TooManyRequests t -> {
        FullHttpResponse response =
            Responses.error(
                HttpResponseStatus.TOO_MANY_REQUESTS,
                "Too many requests; retry in " + t.retryAfterSeconds() + " s.",
                accept);
        response.headers().set(HttpHeaderNames.RETRY_AFTER, t.retryAfterSeconds());
        yield response;
      }
      case Verdict.Busy b -> {
        FullHttpResponse response =
            Responses.error(
                HttpResponseStatus.SERVICE_UNAVAILABLE,
                "Too many passwords are being checked; retry in " + b.retryAfterSeconds() + " s.",
                accept);
        response.headers().set(HttpHeaderNames.RETRY_AFTER, b.retryAfterSeconds());
        yield response;
      }
      case Verdict.Pass p -> throw new IllegalArgumentException("not a refusal: " + verdict);
      case Verdict.Pending p -> throw new IllegalArgumentException("not a refusal: " + verdict);
    };
  }

  /** A redirect route's answer to {@code request}. */
  static FullHttpResponse redirect(Route.RedirectTarget target, HttpRequest request) {
    String location =
        target.locationFor(
            request.headers().get(HttpHeaderNames.HOST),
            ForwardedRequest.originForm(request.uri()));
    FullHttpResponse response = Responses.empty(HttpResponseStatus.valueOf(target.status()));
    response.headers().set(HttpHeaderNames.LOCATION, location);
    return response;
  }

  /**
   * berth's own error for an app route: the app's page for this status when it has one (HTML, to
   * every client, as nginx's error_page), else berth's page in the form the client asked for.
   */
  static FullHttpResponse error(
      Route route, HttpResponseStatus status, String detail, String accept) {
    RouteAccess.ErrorPage page = route.access().errorPages().get(status.code());
    if (page == null) {
      return Responses.error(status, detail, accept);
    }
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(page.bytes()));
    response
        .headers()
        .set(HttpHeaderNames.CONTENT_TYPE, "text/html")
        .set(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes())
        .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
    return response;
  }
}
