package dev.berth.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A request body's pieces: held before the connection, sent after it, refused past the limit. */
class RequestBodyTest {

  private final EmbeddedChannel client = new EmbeddedChannel();
  private final EmbeddedChannel upstream = new EmbeddedChannel();

  @AfterEach
  void close() {
    client.finishAndReleaseAll();
    upstream.finishAndReleaseAll();
  }

  @Test
  void piecesBeforeTheConnectionAreHeldThenSentInOrder() {
    RequestBody body = new RequestBody(post(10), 100);
    body.holdWhileConnecting(client);
    assertThat(client.config().isAutoRead()).isFalse();

    assertThat(body.take(piece("abc"), null)).isEqualTo(RequestBody.Taken.HELD);
    assertThat(body.present()).isTrue();
    body.writeHeld(upstream);
    upstream.flush();
    assertThat(body.resumeAfterConnect()).isTrue();
    assertThat(body.resumeAfterConnect()).isFalse();
    assertThat(body.take(last("defghij"), upstream)).isEqualTo(RequestBody.Taken.SENT);

    assertThat(body.done()).isTrue();
    assertThat(text(upstream.readOutbound())).isEqualTo("abc");
    assertThat(text(upstream.readOutbound())).isEqualTo("defghij");
  }

  @Test
  void aRequestWithoutABodyNeverPausesTheClient() {
    RequestBody body =
        new RequestBody(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/"), 100);
    body.holdWhileConnecting(client);
    assertThat(client.config().isAutoRead()).isTrue();
    assertThat(body.present()).isFalse();
    assertThat(body.resumeAfterConnect()).isFalse();
  }

  @Test
  void piecesPastTheLimitOrMalformedAreRefusedAndReleased() {
    RequestBody body = new RequestBody(post(10), 5);
    HttpContent first = piece("abc");
    HttpContent second = piece("def");
    assertThat(body.take(first, null)).isEqualTo(RequestBody.Taken.HELD);
    assertThat(body.take(second, null)).isEqualTo(RequestBody.Taken.TOO_LARGE);
    assertThat(second.refCnt()).isZero();
    body.release();
    assertThat(first.refCnt()).isZero();

    HttpContent broken = piece("x");
    broken.setDecoderResult(DecoderResult.failure(new IllegalArgumentException("bad chunk")));
    assertThat(new RequestBody(post(1), 5).take(broken, upstream))
        .isEqualTo(RequestBody.Taken.MALFORMED);
    assertThat(broken.refCnt()).isZero();
  }

  @Test
  void aDroppedLastPieceStillEndsTheRequest() {
    RequestBody body = new RequestBody(post(3), 100);
    HttpContent end = last("abc");
    body.drop(end);
    assertThat(end.refCnt()).isZero();
    assertThat(body.done()).isTrue();
  }

  private static HttpRequest post(int length) {
    HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/");
    request.headers().set(HttpHeaderNames.CONTENT_LENGTH, length);
    return request;
  }

  private static HttpContent piece(String text) {
    return new DefaultHttpContent(Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII));
  }

  private static HttpContent last(String text) {
    return new DefaultLastHttpContent(Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII));
  }

  private static String text(Object piece) {
    HttpContent content = (HttpContent) piece;
    try {
      return content.content().toString(StandardCharsets.US_ASCII);
    } finally {
      content.release();
    }
  }
}
