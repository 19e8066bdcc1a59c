package dev.berth.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The HTTP/2 side of a stream, on Netty's EmbeddedChannel with the stream codec berth uses: what a
 * request looks like once it is an HTTP/1.1 one (and what of the conversion is stripped before it
 * goes to an app), and what a response loses and gains on its way to an HTTP/2 client.
 */
class Http2ConversionTest {

  private static Http2Headers request(String method, String path) {
    return new DefaultHttp2Headers()
        .method(method)
        .path(path)
        .scheme("https")
        .authority("a.test:8443");
  }

  /** The HttpRequest berth's stream handler gets for {@code headers} (a request with no body). */
  private static HttpRequest received(Http2Headers headers) {
    EmbeddedChannel stream = new EmbeddedChannel(new Http2StreamFrameToHttpObjectCodec(true));
    stream.writeInbound(new DefaultHttp2HeadersFrame(headers, true));
    HttpRequest request = stream.readInbound();
    ReferenceCountUtil.release(request);
    stream.finishAndReleaseAll();
    return Http2Requests.asHttp1(request);
  }

  @Test
  void authorityBecomesHostCookiesAreJoinedAndTheConversionsOwnFieldsGo() {
    Http2Headers headers = request("GET", "/app/echo?q=1");
    headers.add("cookie", "a=1").add("cookie", "b=2").add("accept", "text/html");
    HttpRequest request = received(headers);

    assertThat(request.method().name()).isEqualTo("GET");
    assertThat(request.uri()).isEqualTo("/app/echo?q=1");
    assertThat(request.protocolVersion()).isEqualTo(HttpVersion.HTTP_1_1);
    assertThat(request.headers().getAll(HttpHeaderNames.HOST)).containsExactly("a.test:8443");
    assertThat(request.headers().getAll(HttpHeaderNames.COOKIE)).containsExactly("a=1; b=2");
    assertThat(request.headers().get(HttpHeaderNames.ACCEPT)).isEqualTo("text/html");
    assertThat(request.headers().names()).noneMatch(name -> name.startsWith("x-http2-"));
    assertThat(RequestChecks.check(request)).isEmpty();
  }

  @Test
  void aHostFieldBesideTheAuthorityCountsOnceWhenTheyAgreeAndIsRefusedWhenNot() {
    HttpRequest same = received(request("GET", "/").add("host", "a.test:8443"));
    assertThat(same.headers().getAll(HttpHeaderNames.HOST)).containsExactly("a.test:8443");
    assertThat(RequestChecks.check(same)).isEmpty();

    // Malformed (RFC 9113 8.3.1): the stream handler resets the stream with PROTOCOL_ERROR.
    assertThatThrownBy(() -> received(request("GET", "/").add("host", "b.test")))
        .hasRootCauseInstanceOf(Http2Exception.class);
  }

  @Test
  void aRequestWithABodyIsChunkedUnlessItSaysItsLength() {
    EmbeddedChannel stream = new EmbeddedChannel(new Http2StreamFrameToHttpObjectCodec(true));
    stream.writeInbound(new DefaultHttp2HeadersFrame(request("POST", "/upload"), false));
    HttpRequest request = Http2Requests.asHttp1(stream.readInbound());
    // Framed by the stream, not by a length: upstream it goes chunked, as nginx sends it.
    assertThat(request.headers().get(HttpHeaderNames.TRANSFER_ENCODING)).isEqualTo("chunked");
    assertThat(request.headers().names()).noneMatch(name -> name.startsWith("x-http2-"));
    stream.writeInbound(
        new DefaultHttp2DataFrame(Unpooled.copiedBuffer("body", StandardCharsets.US_ASCII), true));
    Object last = stream.readInbound();
    assertThat(last).isInstanceOf(DefaultLastHttpContent.class);
    ReferenceCountUtil.release(last);
    stream.finishAndReleaseAll();
  }

  @Test
  void aResponseLosesItsConnectionFieldsAndGetsBerthsServerAndHsts() {
    StreamResponses responses = new StreamResponses();
    responses.hsts("max-age=600");
    EmbeddedChannel stream =
        new EmbeddedChannel(new Http2StreamFrameToHttpObjectCodec(true), responses);
    HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    response
        .headers()
        .set(HttpHeaderNames.CONNECTION, "close, x-private")
        .set("x-private", "hop")
        .set(HttpHeaderNames.KEEP_ALIVE, "timeout=5")
        .set(HttpHeaderNames.TRANSFER_ENCODING, "chunked")
        .set(HttpHeaderNames.UPGRADE, "h2c")
        .set("proxy-connection", "keep-alive")
        .set(HttpHeaderNames.SERVER, "gunicorn")
        .set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
    stream.writeOutbound(
        response,
        new DefaultLastHttpContent(Unpooled.copiedBuffer("hello", StandardCharsets.US_ASCII)));

    Http2HeadersFrame head = stream.readOutbound();
    Http2Headers headers = head.headers();
    assertThat(headers.status().toString()).isEqualTo("200");
    assertThat(headers.get("server").toString()).isEqualTo("berth");
    assertThat(headers.get("strict-transport-security").toString()).isEqualTo("max-age=600");
    assertThat(headers.get("content-type").toString()).isEqualTo("text/plain");
    for (String gone :
        new String[] {
          "connection",
          "keep-alive",
          "transfer-encoding",
          "upgrade",
          "proxy-connection",
          "x-private"
        }) {
      assertThat(headers.contains(gone)).as(gone).isFalse();
    }
    Http2DataFrame body = stream.readOutbound();
    assertThat(body.isEndStream()).isTrue();
    assertThat(body.content().toString(StandardCharsets.US_ASCII)).isEqualTo("hello");
    body.release();
    assertThat(responses.meter().status()).isEqualTo(200);
    assertThat(responses.meter().bodyBytes()).isEqualTo(5);
    stream.finishAndReleaseAll();
  }

  @Test
  void aPlainConnectionsResponseHasNoHsts() {
    StreamResponses responses = new StreamResponses();
    responses.hsts("");
    EmbeddedChannel stream =
        new EmbeddedChannel(new Http2StreamFrameToHttpObjectCodec(true), responses);
    stream.writeOutbound(
        new io.netty.handler.codec.http.DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, HttpResponseStatus.NO_CONTENT));
    Http2HeadersFrame head = stream.readOutbound();
    assertThat(head.headers().contains("strict-transport-security")).isFalse();
    assertThat(head.isEndStream()).isTrue();
    stream.finishAndReleaseAll();
  }
}
