package dev.berth.edge;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/** The small pages berth answers with itself. Never a stack trace: the detail is for people. */
public final class Responses {

  private Responses() {}

  /**
   * An error page in the form the client asked for: JSON for API clients that accept JSON and not
   * HTML, HTML otherwise.
   */
  public static FullHttpResponse error(HttpResponseStatus status, String detail, String accept) {
    if (!prefersJson(accept)) {
      return error(status, detail);
    }
    String json =
        "{\"status\":"
            + status.code()
            + ",\"error\":\""
            + jsonEscape(status.reasonPhrase())
            + "\",\"detail\":\""
            + jsonEscape(detail)
            + "\"}\n";
    return page(status, "application/json", json);
  }

  static boolean prefersJson(String accept) {
    return accept != null && accept.contains("json") && !accept.contains("text/html");
  }

  private static String jsonEscape(String s) {
    return new String(JsonStringEncoder.getInstance().quoteAsString(s));
  }

  public static FullHttpResponse error(HttpResponseStatus status, String detail) {
    String title = status.code() + " " + status.reasonPhrase();
    String html =
        "<!DOCTYPE html>\n<html><head><title>"
            + title
            + "</title></head>\n<body><h1>"
            + title
            + "</h1>\n<p>"
            + escape(detail)
            + "</p>\n<hr><p>berth</p></body></html>\n";
    return page(status, "text/html; charset=utf-8", html);
  }

  /** An answer of berth's own: never cached, since it describes a passing state. */
  private static FullHttpResponse page(HttpResponseStatus status, String contentType, String text) {
    ByteBuf body = Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
    response
        .headers()
        .set(HttpHeaderNames.CONTENT_TYPE, contentType)
        .set(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes())
        .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
    return response;
  }

  /** A body-less response, e.g. a redirect or 304. */
  public static FullHttpResponse empty(HttpResponseStatus status) {
    FullHttpResponse response =
        new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.EMPTY_BUFFER);
    if (status.code() != 304 && status.code() != 204) {
      response.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0);
    }
    return response;
  }

  private static String escape(String s) {
    StringBuilder out = new StringBuilder(s.length());
    for (char c : s.toCharArray()) {
      switch (c) {
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '&' -> out.append("&amp;");
        case '"' -> out.append("&quot;");
        default -> out.append(c);
      }
    }
    return out.toString();
  }
}
