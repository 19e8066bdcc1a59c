package dev.berth.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Which response heads pass through as bytes, and what of them goes on. Whatever does not qualify
 * goes to Netty's decoder as before (the end-to-end proxy tests cover that path, and both paths
 * with real apps).
 */
class PassThroughTest {

  private static final String BODY = "hello\n";

  @Test
  void aPlainResponseLosesItsHopByHopFieldsAndServerAndKeepsTheRest() {
    ByteBuf in =
        bytes(
            "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 6\r\nConnection: keep-alive\r\n"
                + "Keep-Alive: timeout=5\r\nContent-Type: text/plain\r\n\r\n"
                + BODY);
    RawResponse scanned = PassThrough.scan(in, false, false, ByteBufAllocator.DEFAULT);

    assertThat(scanned).isNotNull();
    assertThat(scanned.bodyLength()).isEqualTo(6);
    assertThat(scanned.status()).isEqualTo(200);
    assertThat(scanned.keepAlive()).isTrue();
    assertThat(text(scanned.content()))
        .isEqualTo("HTTP/1.1 200 OK\r\nContent-Length: 6\r\nContent-Type: text/plain\r\n");
    assertThat(text(in)).isEqualTo(BODY);
    scanned.release();
    in.release();
  }

  @Test
  void connectionCloseAndTheFieldsItNamesAreNotForwarded() {
    ByteBuf in =
        bytes(
            "HTTP/1.1 404 Not Found\r\nconnection: X-Trace, CLOSE\r\nx-trace: 1\r\nTE: trailers\r\n"
                + "Upgrade: h2c\r\nProxy-Connection: close\r\nContent-Length: 0\r\nVary: Accept\r\n\r\n");
    RawResponse scanned = PassThrough.scan(in, false, false, ByteBufAllocator.DEFAULT);

    assertThat(scanned).isNotNull();
    assertThat(scanned.keepAlive()).isFalse();
    assertThat(scanned.bodyLength()).isZero();
    assertThat(text(scanned.content()))
        .isEqualTo("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nVary: Accept\r\n");
    scanned.release();
    in.release();
  }

  @Test
  void droppedFieldsFirstOrLastLeaveTheOthersWhole() {
    ByteBuf in =
        bytes(
            "HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5\r\nContent-Length: 0\r\nX-A: 1\r\n"
                + "Connection: Keep-Alive\r\nX-B: 2\r\nserver: gunicorn\r\n\r\n");
    RawResponse scanned = PassThrough.scan(in, false, false, ByteBufAllocator.DEFAULT);
    assertThat(text(scanned.content()))
        .isEqualTo("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-A: 1\r\nX-B: 2\r\n");
    scanned.release();
    in.release();
  }

  @Test
  void responsesWithoutABodyNeedNoLength() {
    for (String head :
        new String[] {
          "HTTP/1.1 204 No Content\r\n\r\n", "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n"
        }) {
      ByteBuf in = bytes(head);
      RawResponse scanned = PassThrough.scan(in, false, false, ByteBufAllocator.DEFAULT);
      assertThat(scanned).as(head).isNotNull();
      assertThat(scanned.bodyLength()).isZero();
      scanned.release();
      in.release();
    }
    // An answer to HEAD has none either, whatever its Content-Length says.
    ByteBuf in = bytes("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n");
    RawResponse scanned = PassThrough.scan(in, true, false, ByteBufAllocator.DEFAULT);
    assertThat(scanned.bodyLength()).isZero();
    assertThat(text(scanned.content())).isEqualTo("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n");
    scanned.release();
    in.release();
  }

  @Test
  void aLocationGoesThroughUnlessTheExchangeRewritesIt() {
    String head = "HTTP/1.1 302 Found\r\nLocation: /login\r\nContent-Length: 0\r\n\r\n";
    ByteBuf in = bytes(head);
    RawResponse scanned = PassThrough.scan(in, false, false, ByteBufAllocator.DEFAULT);
    assertThat(text(scanned.content())).contains("Location: /login\r\n");
    scanned.release();
    in.release();

    assertLeftToNetty(head, false, true);
  }

  /** Each of these is left to Netty's decoder: to judge, or to frame a body this scan does not. */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nbody until close",
        "HTTP/1.1 200 OK\r\nContent-Length: 6\r\nContent-Length: 6\r\n\r\nhello\n",
        "HTTP/1.1 200 OK\r\nContent-Length: +6\r\n\r\nhello\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX-Folded: a\r\n b\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX-Space : a\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\nContent-Length: 0\n\n",
        "HTTP/1.1 200 OK\r\nX-Nul: a\0b\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX-Cr: a\rb\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
        "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n",
        "http/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nConnection: close\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nConnection: close; x\r\nContent-Length: 0\r\n\r\n",
        "\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r",
      })
  void anythingElseIsLeftToNetty(String response) {
    assertLeftToNetty(response, false, false);
  }

  @Test
  void aHeadLargerThanTheScanTakesIsLeftToNetty() {
    assertLeftToNetty(
        "HTTP/1.1 200 OK\r\nX-Big: "
            + "a".repeat(PassThrough.MAX_HEAD)
            + "\r\nContent-Length: 0\r\n\r\n",
        false,
        false);
  }

  @Test
  void theExchangesCheckSeesTheStatusLengthTypeAndWhetherTheBodyMayChange() {
    List<String> seen = new ArrayList<>();
    UpstreamPool.RawHeadCheck recording =
        (status, length, type, transformable) -> {
          seen.add(status + " " + length + " " + type + " " + transformable);
          return false;
        };
    String[] heads = {
      "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8 \r\nContent-Length: 6\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 6\r\n\r\n",
      "HTTP/1.1 200 OK\r\ncache-control: public, No-Transform\r\nContent-Length: 6\r\n\r\n",
      "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nContent-Length: 6\r\n\r\n",
      "HTTP/1.1 206 Partial\r\nContent-Range: bytes 0-5/9\r\nContent-Length: 6\r\n\r\n",
      "HTTP/1.1 304 Not Modified\r\n\r\n",
    };
    for (String head : heads) {
      ByteBuf in = bytes(head);
      RawResponse scanned = PassThrough.scan(in, false, false, recording, ByteBufAllocator.DEFAULT);
      assertThat(scanned).as(head).isNotNull();
      scanned.release();
      in.release();
    }
    assertThat(seen)
        .containsExactly(
            "200 6 text/html; charset=utf-8 true",
            "200 6 null true",
            "200 6 null false",
            "200 6 null false",
            "200 6 null true",
            "206 6 null false",
            "304 0 null true");
  }

  @Test
  void aHeadTheExchangeWillChangeIsLeftToNetty() {
    ByteBuf in =
        bytes("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 6\r\n\r\n" + BODY);
    UpstreamPool.RawHeadCheck html =
        (status, length, type, transformable) -> type != null && "text/html".contentEquals(type);
    assertThat(PassThrough.scan(in, false, false, html, ByteBufAllocator.DEFAULT)).isNull();
    assertThat(in.readerIndex()).as("nothing consumed").isZero();
    in.release();
  }

  private static void assertLeftToNetty(
      String response, boolean headRequest, boolean rewritesLocation) {
    ByteBuf in = bytes(response);
    assertThat(PassThrough.scan(in, headRequest, rewritesLocation, ByteBufAllocator.DEFAULT))
        .as(response)
        .isNull();
    assertThat(in.readerIndex()).as("nothing consumed").isZero();
    in.release();
  }

  private static ByteBuf bytes(String s) {
    return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
  }

  private static String text(ByteBuf buf) {
    return buf.toString(StandardCharsets.ISO_8859_1);
  }
}
