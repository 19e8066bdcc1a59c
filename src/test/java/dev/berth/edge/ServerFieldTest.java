package dev.berth.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.config.EdgeSettings;
import dev.berth.config.RouteLimits;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every final response the edge writes says {@code Server: berth}, with no version, and never the
 * app's own Server field (nginx does the same): on the client codec of an EmbeddedChannel. The
 * responses passed through as the app's bytes lose the app's field in upstream.PassThrough
 * (PassThroughTest) and get berth's here too (EdgeEndToEndTest, with gunicorn).
 */
class ServerFieldTest {

  private EmbeddedChannel client;

  @BeforeEach
  void setUp() {
    EdgeSettings settings =
        new EdgeSettings(
            8 * 1024,
            8 * 1024,
            Duration.ofSeconds(10),
            Duration.ofSeconds(10),
            100,
            dev.berth.config.TrustedProxies.NONE,
            false,
            RouteLimits.standard(),
            1,
            EdgeSettings.IoTransport.NIO);
    EdgeCodec codec = new EdgeCodec(new HttpDecoderConfig(), new ClientTimeouts(settings));
    client = new EmbeddedChannel(codec.decoder(), codec.encoder());
  }

  @AfterEach
  void tearDown() {
    client.finishAndReleaseAll();
  }

  @Test
  void theAppsServerFieldIsReplacedByBerthsWithoutAVersion() {
    request();
    FullHttpResponse response = response(HttpResponseStatus.OK, "hello");
    response.headers().set(HttpHeaderNames.SERVER, "gunicorn/20.1.0");
    client.writeOutbound(response);

    String written = written();
    assertThat(written).startsWith("HTTP/1.1 200 OK\r\n").contains("\r\nserver: berth\r\n");
    assertThat(written.toLowerCase()).doesNotContain("gunicorn").containsOnlyOnce("server:");
  }

  @Test
  void berthsOwnResponsesSayServerBerthToo() {
    request();
    client.writeOutbound(response(HttpResponseStatus.NOT_FOUND, "404 Not Found"));

    assertThat(written())
        .startsWith("HTTP/1.1 404 Not Found\r\n")
        .contains("\r\nserver: berth\r\n");
  }

  private void request() {
    client.writeInbound(
        Unpooled.copiedBuffer(
            "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n", StandardCharsets.US_ASCII));
    Object message;
    while ((message = client.readInbound()) != null) {
      ReferenceCountUtil.release(message);
    }
  }

  private static FullHttpResponse response(HttpResponseStatus status, String body) {
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, status, Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
    response.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.length());
    return response;
  }

  private String written() {
    StringBuilder text = new StringBuilder();
    ByteBuf piece;
    while ((piece = client.readOutbound()) != null) {
      text.append(piece.toString(StandardCharsets.US_ASCII));
      piece.release();
    }
    return text.toString();
  }
}
