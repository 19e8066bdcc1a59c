package dev.berth.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.config.AccessLogSpec;
import dev.berth.config.Compression;
import dev.berth.config.Compression.Coding;
import dev.berth.config.Route;
import dev.berth.config.RouteLimits;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.compression.BrotliDecoder;
import io.netty.handler.codec.compression.JdkZlibDecoder;
import io.netty.handler.codec.compression.ZlibWrapper;
import io.netty.handler.codec.compression.ZstdDecoder;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ResponseCompressionTest {

  private static final ByteBufAllocator ALLOC = ByteBufAllocator.DEFAULT;

  private static HttpRequest request(HttpMethod method, String acceptEncoding) {
    HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, method, "/");
    if (acceptEncoding != null) {
      request.headers().set(HttpHeaderNames.ACCEPT_ENCODING, acceptEncoding);
    }
    return request;
  }

  private static HttpResponse response(int status, String type, long length) {
    HttpResponse response =
        new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status));
    if (type != null) {
      response.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
    }
    if (length >= 0) {
      response.headers().set(HttpHeaderNames.CONTENT_LENGTH, length);
    }
    return response;
  }

  private static Route route(Compression compression) {
    return new Route(
        "",
        "/",
        new Route.AppTarget("web", compression),
        false,
        RouteLimits.standard(),
        new AccessLogSpec(false, Path.of("/dev/null"), AccessLogSpec.Format.COMBINED),
        1);
  }

  @Test
  void theClientsAcceptEncodingPicksTheCoding() {
    Compression c = Compression.DEFAULT;
    assertThat(ResponseCompression.negotiate(request(HttpMethod.GET, "gzip, deflate, br, zstd"), c))
        .isEqualTo(Coding.ZSTD);
    assertThat(ResponseCompression.negotiate(request(HttpMethod.GET, "gzip, deflate, br"), c))
        .isEqualTo(Coding.BR);
    assertThat(ResponseCompression.negotiate(request(HttpMethod.POST, "gzip"), c))
        .isEqualTo(Coding.GZIP);
    assertThat(ResponseCompression.negotiate(request(HttpMethod.GET, "identity"), c)).isNull();
    assertThat(ResponseCompression.negotiate(request(HttpMethod.GET, null), c)).isNull();
    assertThat(ResponseCompression.negotiate(request(HttpMethod.HEAD, "gzip"), c)).isNull();
    assertThat(ResponseCompression.negotiate(request(HttpMethod.GET, "gzip"), Compression.OFF))
        .isNull();
    Compression gzipOnly = new Compression(List.of(Coding.GZIP), 256, Compression.DEFAULT_TYPES);
    assertThat(ResponseCompression.negotiate(request(HttpMethod.GET, "zstd, br"), gzipOnly))
        .isNull();
  }

  @Test
  void aRequestThatCannotBeCompressedKeepsTheRawPassThrough() {
    HttpRequest plain = request(HttpMethod.GET, null);
    assertThat(ResponseCompression.forRequest(plain, route(Compression.DEFAULT), ALLOC))
        .isSameAs(ResponseCompression.NONE);
    assertThat(ResponseCompression.NONE.mayCompress()).isFalse();
    HttpRequest gzip = request(HttpMethod.GET, "gzip");
    assertThat(
            ResponseCompression.forRequest(gzip, route(Compression.DEFAULT), ALLOC).mayCompress())
        .isTrue();
    assertThat(ResponseCompression.forRequest(gzip, route(Compression.OFF), ALLOC))
        .isSameAs(ResponseCompression.NONE);
  }

  @Test
  void aHeadThatPassesRawIsDecodedOnlyWhenItWillBeCompressed() {
    ResponseCompression gzip =
        ResponseCompression.forRequest(
            request(HttpMethod.GET, "gzip"), route(Compression.DEFAULT), ALLOC);
    long min = Compression.DEFAULT.minSize();
    assertThat(gzip.compressesRaw(200, min, "text/html; charset=utf-8", true)).isTrue();
    assertThat(gzip.compressesRaw(404, min, "Application/JSON", true)).isTrue();
    // The benchmark's 6-byte body: too small to be worth it, so it keeps the raw path.
    assertThat(gzip.compressesRaw(200, 6, "text/plain", true)).isFalse();
    assertThat(gzip.compressesRaw(200, min - 1, "text/html", true)).isFalse();
    assertThat(gzip.compressesRaw(200, 1 << 20, "image/png", true)).isFalse();
    assertThat(gzip.compressesRaw(200, 1 << 20, "application/octet-stream", true)).isFalse();
    assertThat(gzip.compressesRaw(200, 1 << 20, null, true)).isFalse();
    assertThat(gzip.compressesRaw(200, 1 << 20, "text/html", false)).isFalse();
    for (int status : new int[] {204, 206, 304}) {
      assertThat(gzip.compressesRaw(status, 1 << 20, "text/html", true)).as("" + status).isFalse();
    }
    assertThat(ResponseCompression.NONE.compressesRaw(200, 1 << 20, "text/html", true)).isFalse();
  }

  @Test
  void whichResponsesAreCompressed() {
    Compression c = Compression.DEFAULT;
    assertThat(ResponseCompression.compresses(response(200, "text/html", 1000), c)).isTrue();
    assertThat(ResponseCompression.compresses(response(404, "application/json", 256), c)).isTrue();
    assertThat(ResponseCompression.compresses(response(200, "text/plain", -1), c))
        .as("unknown length")
        .isTrue();
    assertThat(ResponseCompression.compresses(response(200, "text/html", 255), c))
        .as("under the minimum")
        .isFalse();
    assertThat(ResponseCompression.compresses(response(200, "image/png", 5000), c)).isFalse();
    assertThat(ResponseCompression.compresses(response(200, null, 5000), c)).isFalse();
    for (int status : new int[] {101, 204, 206, 304}) {
      assertThat(ResponseCompression.compresses(response(status, "text/html", 5000), c))
          .as("status %d", status)
          .isFalse();
    }
    HttpResponse range = response(200, "text/html", 5000);
    range.headers().set(HttpHeaderNames.CONTENT_RANGE, "bytes 0-4999/10000");
    assertThat(ResponseCompression.compresses(range, c)).isFalse();
    HttpResponse encoded = response(200, "text/html", 5000);
    encoded.headers().set(HttpHeaderNames.CONTENT_ENCODING, "gzip");
    assertThat(ResponseCompression.compresses(encoded, c)).isFalse();
    HttpResponse noTransform = response(200, "text/html", 5000);
    noTransform.headers().add(HttpHeaderNames.CACHE_CONTROL, "public");
    noTransform.headers().add(HttpHeaderNames.CACHE_CONTROL, "No-Transform, max-age=60");
    assertThat(ResponseCompression.compresses(noTransform, c)).isFalse();
  }

  @Test
  void aCompressedHeadSaysSo() {
    ResponseCompression compression = compression(Coding.GZIP);
    HttpResponse head = response(200, "text/html", 5000);
    head.headers().set(HttpHeaderNames.ETAG, "\"v1\"");
    head.headers().set(HttpHeaderNames.VARY, "Cookie");
    head.headers().set(HttpHeaderNames.ACCEPT_RANGES, "bytes");
    compression.begin(head);
    compression.abandon();
    assertThat(head.headers().get(HttpHeaderNames.CONTENT_ENCODING)).isEqualTo("gzip");
    assertThat(head.headers().contains(HttpHeaderNames.CONTENT_LENGTH)).isFalse();
    assertThat(head.headers().contains(HttpHeaderNames.ACCEPT_RANGES)).isFalse();
    assertThat(head.headers().get(HttpHeaderNames.ETAG)).isEqualTo("W/\"v1\"");
    assertThat(head.headers().getAll(HttpHeaderNames.VARY))
        .containsExactly("Cookie", "Accept-Encoding");
  }

  @Test
  void varyAndWeakETagsAreNotAddedTwice() {
    ResponseCompression compression = compression(Coding.GZIP);
    HttpResponse head = response(200, "text/html", -1);
    head.headers().set(HttpHeaderNames.ETAG, "W/\"v1\"");
    head.headers().set(HttpHeaderNames.VARY, "cookie, accept-encoding");
    compression.begin(head);
    compression.abandon();
    assertThat(head.headers().get(HttpHeaderNames.ETAG)).isEqualTo("W/\"v1\"");
    assertThat(head.headers().getAll(HttpHeaderNames.VARY))
        .containsExactly("cookie, accept-encoding");
  }

  @Test
  void aResponseNotCompressedPassesUnchanged() {
    ResponseCompression compression = compression(Coding.GZIP);
    HttpResponse head = response(200, "image/png", 5000);
    compression.begin(head);
    assertThat(head.headers().contains(HttpHeaderNames.CONTENT_ENCODING)).isFalse();
    assertThat(head.headers().contains(HttpHeaderNames.VARY)).isFalse();
    HttpContent piece = new DefaultHttpContent(Unpooled.copiedBuffer("x", StandardCharsets.UTF_8));
    assertThat(compression.encode(piece)).isSameAs(piece);
    assertThat(compression.flush()).isNull();
    piece.release();
    HttpContent none = new DefaultHttpContent(Unpooled.EMPTY_BUFFER);
    assertThat(ResponseCompression.NONE.encode(none)).isSameAs(none);
  }

  @ParameterizedTest
  @EnumSource(Coding.class)
  void theBodyComesBackByteForByte(Coding coding) {
    byte[] body = text(50_000);
    ResponseCompression compression = compression(coding);
    compression.begin(response(200, "text/plain", body.length));
    List<ByteBuf> out = new ArrayList<>();
    List<ByteBuf> in = new ArrayList<>();
    // Pieces as Netty's decoder gives them (8 KiB), in reads of two pieces.
    for (int at = 0; at < body.length; at += 8192) {
      int end = Math.min(body.length, at + 8192);
      ByteBuf bytes = Unpooled.copiedBuffer(body, at, end - at);
      in.add(bytes);
      HttpContent piece =
          end == body.length ? new DefaultLastHttpContent(bytes) : new DefaultHttpContent(bytes);
      HttpContent sent = compression.encode(piece);
      if (sent != null) {
        assertThat(sent instanceof LastHttpContent).isEqualTo(end == body.length);
        out.add(sent.content());
      }
      if ((at / 8192) % 2 == 1 && end < body.length) {
        HttpContent flushed = compression.flush();
        if (flushed != null) {
          out.add(flushed.content());
        }
      }
    }
    assertThat(in).allMatch(b -> b.refCnt() == 0);
    int compressed = out.stream().mapToInt(ByteBuf::readableBytes).sum();
    assertThat(compressed).isLessThan(body.length / 4);
    assertThat(decode(coding, out)).isEqualTo(body);
  }

  @ParameterizedTest
  @EnumSource(Coding.class)
  void eachFlushDecodesToWhatCameBeforeIt(Coding coding) {
    ResponseCompression compression = compression(coding);
    compression.begin(response(200, "text/event-stream", -1));
    EmbeddedChannel decoder = new EmbeddedChannel(decoder(coding));
    ByteArrayOutputStream sent = new ByteArrayOutputStream();
    for (int n = 0; n < 3; n++) {
      byte[] event = ("id: " + n + "\ndata: event " + n + "\n\n").getBytes(StandardCharsets.UTF_8);
      sent.writeBytes(event);
      assertThat(compression.encode(new DefaultHttpContent(Unpooled.wrappedBuffer(event))))
          .isNull();
      HttpContent flushed = compression.flush();
      decoder.writeInbound(flushed.content());
      assertThat(readAll(decoder)).as("event %d", n).isEqualTo(event);
    }
    HttpContent last = compression.encode(LastHttpContent.EMPTY_LAST_CONTENT);
    decoder.writeInbound(last.content());
    assertThat(readAll(decoder)).isEmpty();
    decoder.finishAndReleaseAll();
  }

  @ParameterizedTest
  @EnumSource(Coding.class)
  void anEmptyBodyIsAnEmptyStreamOfTheCoding(Coding coding) {
    ResponseCompression compression = compression(coding);
    compression.begin(response(200, "text/plain", -1));
    HttpContent last = compression.encode(LastHttpContent.EMPTY_LAST_CONTENT);
    assertThat(last.content().isReadable()).isTrue();
    assertThat(decode(coding, List.of(last.content()))).isEmpty();
  }

  @Test
  void trailersSurvive() {
    ResponseCompression compression = compression(Coding.GZIP);
    compression.begin(response(200, "text/plain", -1));
    LastHttpContent last = new DefaultLastHttpContent(Unpooled.copiedBuffer(text(1000)));
    last.trailingHeaders().set("X-Checksum", "abc");
    LastHttpContent end = (LastHttpContent) compression.encode(last);
    assertThat(end.trailingHeaders().get("X-Checksum")).isEqualTo("abc");
    assertThat(decode(Coding.GZIP, List.of(end.content()))).isEqualTo(text(1000));
  }

  @Test
  void anAbandonedResponseReleasesWhatWaits() {
    ResponseCompression compression = compression(Coding.ZSTD);
    compression.begin(response(200, "text/plain", -1));
    ByteBuf bytes = Unpooled.copiedBuffer(text(1000));
    assertThat(compression.encode(new DefaultHttpContent(bytes))).isNull();
    compression.abandon();
    assertThat(bytes.refCnt()).isZero();
    compression.abandon();
  }

  private static ResponseCompression compression(Coding coding) {
    Compression config = new Compression(List.of(coding), 256, Compression.DEFAULT_TYPES);
    ResponseCompression compression =
        ResponseCompression.forRequest(
            request(HttpMethod.GET, coding.token()), route(config), ALLOC);
    assertThat(compression.mayCompress()).isTrue();
    return compression;
  }

  private static ChannelHandler decoder(Coding coding) {
    return switch (coding) {
      case ZSTD -> new ZstdDecoder();
      case BR -> new BrotliDecoder();
      case GZIP -> new JdkZlibDecoder(ZlibWrapper.GZIP);
    };
  }

  /** Decodes the pieces (released) with Netty's decoder of the coding. */
  private static byte[] decode(Coding coding, List<ByteBuf> pieces) {
    EmbeddedChannel decoder = new EmbeddedChannel(decoder(coding));
    for (ByteBuf piece : pieces) {
      decoder.writeInbound(piece);
    }
    byte[] all = readAll(decoder);
    decoder.finishAndReleaseAll();
    return all;
  }

  private static byte[] readAll(EmbeddedChannel decoder) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteBuf b;
    while ((b = decoder.readInbound()) != null) {
      byte[] bytes = new byte[b.readableBytes()];
      b.readBytes(bytes);
      b.release();
      out.writeBytes(bytes);
    }
    return out.toByteArray();
  }

  private static byte[] text(int size) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; s.length() < size; i++) {
      s.append("line ").append(i).append(": the quick brown fox jumps over the lazy dog\n");
    }
    return s.substring(0, size).getBytes(StandardCharsets.UTF_8);
  }
}
