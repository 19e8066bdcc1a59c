package dev.berth.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.config.AccessLogSpec;
import dev.berth.config.Compression;
import dev.berth.config.Route;
import dev.berth.config.RouteLimits;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The extended CONNECT (RFC 8441) as berth turns it into an HTTP/1.1 WebSocket handshake. */
class ExtendedConnectTest {

  private static Http2Headers connect(String protocol) {
    Http2Headers headers =
        new DefaultHttp2Headers()
            .method("CONNECT")
            .scheme("https")
            .path("/chat?room=1")
            .authority("example.com");
    if (protocol != null) {
      headers.set(Http2Headers.PseudoHeaderName.PROTOCOL.value(), protocol);
    }
    return headers.add("sec-websocket-version", "13").add("sec-websocket-protocol", "chat");
  }

  private static EmbeddedChannel stream() {
    return new EmbeddedChannel(new ExtendedConnect(), new Http2StreamFrameToHttpObjectCodec(true));
  }

  @Test
  void anExtendedConnectIsRoutedAsAGetToItsPathWhoseRequestEndsWithItsHeaders() {
    EmbeddedChannel stream = stream();
    stream.writeInbound(new DefaultHttp2HeadersFrame(connect("websocket"), false));
    FullHttpRequest request = stream.readInbound();
    assertThat(request.method()).isEqualTo(HttpMethod.GET);
    assertThat(request.uri()).isEqualTo("/chat?room=1");
    assertThat(request.headers().get(HttpHeaderNames.HOST)).isEqualTo("example.com");
    assertThat(request.headers().get(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL)).isEqualTo("chat");
    assertThat(ExtendedConnect.protocolOf(stream)).isEqualTo("websocket");
    request.release();

    // Bytes the client sends before the switch are held for the tunnel, not taken as a body.
    stream.writeInbound(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(new byte[] {1, 2})));
    assertThat((Object) stream.readInbound()).isNull();
    stream.finishAndReleaseAll();
  }

  @Test
  void tooManyBytesBeforeThe200ResetTheStream() {
    EmbeddedChannel stream = stream();
    stream.writeInbound(new DefaultHttp2HeadersFrame(connect("websocket"), false));
    stream.releaseInbound();
    stream.writeInbound(
        new DefaultHttp2DataFrame(
            Unpooled.wrappedBuffer(new byte[ExtendedConnect.MAX_EARLY_BYTES])));
    assertThat((Object) stream.readOutbound()).isNull();
    stream.writeInbound(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(new byte[1])));
    Http2ResetFrame reset = stream.readOutbound();
    assertThat(reset.errorCode()).isEqualTo(Http2Error.ENHANCE_YOUR_CALM.code());
    assertThat(stream.isOpen()).isFalse();
    stream.finishAndReleaseAll();
  }

  @Test
  void aStreamAnsweredWithoutATunnelIsToldToStopSending() {
    EmbeddedChannel stream = stream();
    stream.writeInbound(new DefaultHttp2HeadersFrame(connect("websocket"), false));
    stream.releaseInbound();
    stream.writeOutbound(
        new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("400"), true));
    stream.releaseOutbound();
    stream.runPendingTasks();
    assertThat(stream.isOpen()).isFalse();
    stream.finishAndReleaseAll();
  }

  @Test
  void anyOtherRequestPassesUntouched() {
    EmbeddedChannel stream = stream();
    stream.writeInbound(new DefaultHttp2HeadersFrame(connect(null), true));
    HttpRequest request = stream.readInbound();
    // A CONNECT without :protocol stays one (RequestChecks answers it 501).
    assertThat(request.method()).isEqualTo(HttpMethod.CONNECT);
    assertThat(ExtendedConnect.protocolOf(stream)).isNull();
    assertThat(stream.pipeline().get(ExtendedConnect.class)).isNull();
    stream.finishAndReleaseAll();
  }

  @Test
  void aRouteRefusesAProtocolItDoesNotAllow() {
    EmbeddedChannel stream = stream();
    stream.writeInbound(new DefaultHttp2HeadersFrame(connect("websocket"), false));
    stream.releaseInbound();
    assertThat(ExtendedConnect.refusal(stream, route(List.of("websocket")))).isNull();
    assertThat(ExtendedConnect.refusal(stream, route(List.of()))).contains("upgrades");
    stream.finishAndReleaseAll();

    EmbeddedChannel other = stream();
    other.writeInbound(new DefaultHttp2HeadersFrame(connect("foo"), false));
    other.releaseInbound();
    assertThat(ExtendedConnect.refusal(other, route(List.of("foo")))).contains("Only WebSocket");
    other.finishAndReleaseAll();
  }

  private static Route route(List<String> upgrades) {
    return new Route(
        "",
        "/",
        new Route.AppTarget("app", upgrades, Compression.DEFAULT),
        false,
        RouteLimits.standard(),
        new AccessLogSpec(false, Path.of("/dev/null"), AccessLogSpec.Format.COMBINED),
        1);
  }

  @Test
  void theAppIsAskedWithAKeyOfBerthsAndItsAcceptIsChecked() {
    FullHttpRequest forwarded =
        new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/chat");
    forwarded.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0);
    String key = ExtendedConnect.ask(forwarded);
    assertThat(Base64.getDecoder().decode(key)).hasSize(16);
    assertThat(forwarded.headers().get(HttpHeaderNames.SEC_WEBSOCKET_KEY)).isEqualTo(key);
    assertThat(forwarded.headers().get(HttpHeaderNames.SEC_WEBSOCKET_VERSION)).isEqualTo("13");
    assertThat(forwarded.headers().contains(HttpHeaderNames.CONTENT_LENGTH)).isFalse();
    forwarded.release();

    // RFC 6455 1.3's example.
    assertThat(ExtendedConnect.acceptFor("dGhlIHNhbXBsZSBub25jZQ=="))
        .isEqualTo("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    HttpResponse switched =
        new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS);
    switched.headers().set(HttpHeaderNames.SEC_WEBSOCKET_ACCEPT, ExtendedConnect.acceptFor(key));
    assertThat(ExtendedConnect.accepts(switched, key)).isTrue();
    assertThat(ExtendedConnect.accepts(switched, "dGhlIHNhbXBsZSBub25jZQ==")).isFalse();
    switched.headers().remove(HttpHeaderNames.SEC_WEBSOCKET_ACCEPT);
    assertThat(ExtendedConnect.accepts(switched, key)).isFalse();
  }

  @Test
  void theStreamGetsA200WithTheAppsFieldsLessTheHandshakes() {
    HttpResponse switched =
        new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS);
    switched
        .headers()
        .set(HttpHeaderNames.UPGRADE, "websocket")
        .set(HttpHeaderNames.CONNECTION, "Upgrade")
        .set(HttpHeaderNames.SEC_WEBSOCKET_ACCEPT, "x")
        .set(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL, "chat");
    HttpResponse answer = ExtendedConnect.answer(switched);
    assertThat(answer.status()).isEqualTo(HttpResponseStatus.OK);
    assertThat(answer.headers().names())
        .containsExactly(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL.toString());
  }

  @Test
  void inATunnelDataFramesAreBytesAndACloseEndsTheStream() {
    EmbeddedChannel stream = stream();
    stream.writeInbound(new DefaultHttp2HeadersFrame(connect("websocket"), false));
    stream.releaseInbound();
    stream.writeInbound(
        new DefaultHttp2DataFrame(Unpooled.copiedBuffer("early", StandardCharsets.US_ASCII)));
    stream.pipeline().addLast(new StreamResponses());
    // What SwitchingProtocols does at the app's 101: the HTTP handlers go, the tunnel's end comes.
    ExtendedConnect.tunnel(stream.pipeline(), new ChannelInboundHandlerAdapter());
    assertThat(stream.pipeline().get(Http2StreamFrameToHttpObjectCodec.class)).isNull();
    assertThat(stream.pipeline().get(StreamResponses.class)).isNull();
    ExtendedConnect.started(stream.pipeline());
    ByteBuf early = stream.readInbound();
    assertThat(early.toString(StandardCharsets.US_ASCII)).isEqualTo("early");
    early.release();

    stream.writeOutbound(Unpooled.copiedBuffer("frame", StandardCharsets.US_ASCII));
    DefaultHttp2DataFrame out = stream.readOutbound();
    assertThat(out.content().toString(StandardCharsets.US_ASCII)).isEqualTo("frame");
    assertThat(out.isEndStream()).isFalse();
    out.release();

    stream.close();
    DefaultHttp2DataFrame end = stream.readOutbound();
    assertThat(end.isEndStream()).isTrue();
    end.release();
    stream.finishAndReleaseAll();
  }
}
