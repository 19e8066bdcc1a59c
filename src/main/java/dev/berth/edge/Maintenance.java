package dev.berth.edge;

import static java.util.Objects.requireNonNull;

import dev.berth.config.Route;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The apps in maintenance ({@code berth maintenance APP on}): every route to such an app answers
 * 503 with a page and Retry-After, without asking it, while its processes keep running and static
 * routes keep serving. Read on the event loops, changed by control commands.
 */
public final class Maintenance {

  /**
   * What an app in maintenance answers: its own page (HTML; null for the default) and when to
   * retry.
   */
  public record Notice(String page, int retryAfterSeconds) {
    public Notice {
      if (retryAfterSeconds < 0) {
        throw new IllegalArgumentException("retryAfterSeconds: " + retryAfterSeconds);
      }
    }
  }

  private final Map<String, Notice> apps = new ConcurrentHashMap<>();

  public void on(String app, Notice notice) {
    apps.put(requireNonNull(app, "app"), requireNonNull(notice, "notice"));
  }

  public void off(String app) {
    apps.remove(requireNonNull(app, "app"));
  }

  public Optional<Notice> of(String app) {
    return Optional.ofNullable(apps.get(app));
  }

  /**
   * The answer of {@code route} to {@code app} while the app is in maintenance; null when it is
   * not. The page given with the command, else the app's error_pages 503 page, else berth's own;
   * never cached, as it stops being true with {@code off}.
   */
  FullHttpResponse answer(Route route, String app, String accept) {
    Notice notice = apps.get(app);
    if (notice == null) {
      return null;
    }
    FullHttpResponse response;
    if (notice.page() != null) {
      response =
          new DefaultFullHttpResponse(
              HttpVersion.HTTP_1_1,
              HttpResponseStatus.SERVICE_UNAVAILABLE,
              Unpooled.copiedBuffer(notice.page(), StandardCharsets.UTF_8));
      response
          .headers()
          .set(HttpHeaderNames.CONTENT_TYPE, "text/html; charset=utf-8")
          .set(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
    } else {
      response =
          AccessResponses.error(
              route,
              HttpResponseStatus.SERVICE_UNAVAILABLE,
              "This site is down for maintenance; please come back soon.",
              accept);
    }
    response
        .headers()
        .set(HttpHeaderNames.RETRY_AFTER, notice.retryAfterSeconds())
        .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
    return response;
  }
}
