package dev.berth.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.testing.BerthProcess;
import dev.berth.testing.Curl;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.compression.BrotliDecoder;
import io.netty.handler.codec.compression.JdkZlibDecoder;
import io.netty.handler.codec.compression.ZlibWrapper;
import io.netty.handler.codec.compression.ZstdDecoder;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * berth in front of a gunicorn + Flask app (testapp/compressapp.py) compresses its responses for
 * curl, with each coding curl has; and leaves alone what it must not compress.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CompressionEndToEndTest {

  private BerthProcess berth;
  private int port;
  private final HttpClient client =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10))
          .build();

  @BeforeAll
  void start(@TempDir Path tmp) throws Exception {
    port = BerthProcess.freePort();
    String config =
        """
        state_dir = "%1$s/state"

        [[listeners]]
        address = "127.0.0.1:%2$d"

        [apps.web]
        user = "root"
        dir = "%3$s"
        command = "/usr/bin/gunicorn --workers 1 --threads 8 compressapp:app"

        [[routes]]
        app = "web"

        [[routes]]
        host = "off.test"
        app = "web"
        compress = []
        """
            .formatted(tmp, port, BerthProcess.testApp());
    berth = BerthProcess.up(BerthProcess.write(tmp.resolve("berth.toml"), config));
  }

  @AfterAll
  void stop() {
    if (berth != null) {
      berth.close();
    }
  }

  private String url(String path) {
    return "http://127.0.0.1:" + port + path;
  }

  @ParameterizedTest
  @ValueSource(strings = {"zstd", "br", "gzip"})
  void eachCodingGivesTheAppsBodyBackByteForByte(String coding) throws Exception {
    Curl.Response identity = Curl.get(url("/text?size=20000"));
    assertThat(identity.header("content-encoding")).isNull();
    assertThat(identity.header("content-length")).isEqualTo("20000");

    Curl.Response compressed =
        Curl.get(url("/text?size=20000"), "--compressed", "-H", "Accept-Encoding: " + coding);
    assertThat(compressed.status()).isEqualTo(200);
    assertThat(compressed.header("content-encoding")).isEqualTo(coding);
    assertThat(compressed.header("vary")).isEqualTo("Accept-Encoding");
    assertThat(compressed.header("content-length")).isNull();
    assertThat(compressed.header("transfer-encoding")).isEqualTo("chunked");
    assertThat(compressed.body()).isEqualTo(identity.body());

    // The bytes on the wire, decoded here: smaller, and the same body.
    byte[] raw = raw("/json", coding);
    byte[] plain = raw("/json", null);
    assertThat(raw.length).isLessThan(plain.length / 4);
    assertThat(decode(coding, raw)).isEqualTo(plain);
  }

  @Test
  void aBrowsersAcceptEncodingGetsZstdFirst() throws Exception {
    Curl.Response response =
        Curl.get(url("/text"), "--compressed", "-H", "Accept-Encoding: gzip, deflate, br, zstd");
    assertThat(response.header("content-encoding")).isEqualTo("zstd");
    Curl.Response older =
        Curl.get(url("/text"), "--compressed", "-H", "Accept-Encoding: gzip, deflate, br");
    assertThat(older.header("content-encoding")).isEqualTo("br");
  }

  @Test
  void aChunkedBodyIsCompressedWhole() throws Exception {
    Curl.Response identity = Curl.get(url("/chunked"));
    Curl.Response compressed = Curl.get(url("/chunked"), "--compressed");
    assertThat(compressed.header("content-encoding")).isEqualTo("zstd");
    assertThat(compressed.body()).isEqualTo(identity.body()).hasSizeGreaterThan(50_000);
  }

  @Test
  void aStrongETagTurnsWeakAndVaryKeepsTheAppsFields() throws Exception {
    Curl.Response response = Curl.get(url("/etag"), "--compressed", "-H", "Accept-Encoding: gzip");
    assertThat(response.header("content-encoding")).isEqualTo("gzip");
    assertThat(response.header("etag")).isEqualTo("W/\"v1\"");
    assertThat(response.headers().toLowerCase(Locale.ROOT))
        .contains("vary: cookie\r\n")
        .contains("vary: accept-encoding\r\n");
    Curl.Response identity = Curl.get(url("/etag"));
    assertThat(identity.header("etag")).isEqualTo("\"v1\"");
  }

  @Test
  void whatIsNotCompressed() throws Exception {
    String[] gzip = {"--compressed", "-H", "Accept-Encoding: gzip"};
    for (String path :
        new String[] {"/text?size=100", "/image", "/partial", "/notransform", "/encoded"}) {
      Curl.Response response = Curl.get(url(path), gzip);
      assertThat(response.header("content-encoding"))
          .as(path)
          .isEqualTo(path.equals("/encoded") ? "gzip" : null);
      assertThat(response.header("vary")).as(path).isNull();
      assertThat(response.header("content-length")).as(path).isNotNull();
    }
    assertThat(Curl.get(url("/partial"), gzip).status()).isEqualTo(206);
    // The app's own gzip passes as it sent it, decoded by curl alone.
    assertThat(Curl.get(url("/encoded"), gzip).body())
        .isEqualTo(Curl.get(url("/text?size=5000")).body());

    Curl.Response head = Curl.get(url("/text"), "-I", "-H", "Accept-Encoding: gzip");
    assertThat(head.header("content-encoding")).isNull();
    assertThat(head.header("content-length")).isEqualTo("20000");

    Curl.Response off =
        Curl.get(url("/text"), "--compressed", "-H", "Host: off.test", "-H", "Accept-Encoding: br");
    assertThat(off.header("content-encoding")).isNull();
    assertThat(off.header("content-length")).isEqualTo("20000");

    Curl.Response refused = Curl.get(url("/text"), "-H", "Accept-Encoding: gzip;q=0, identity");
    assertThat(refused.header("content-encoding")).isNull();
  }

  /**
   * Each event reaches the client before the app sends the next: the app waits for the client's
   * acknowledgement of event n (a POST) before it sends event n + 1.
   */
  @ParameterizedTest
  @ValueSource(strings = {"zstd", "br", "gzip"})
  void serverSentEventsArriveOneByOne(String coding) throws Exception {
    int count = 3;
    Process curl =
        new ProcessBuilder(
                "curl",
                "-sS",
                "-N",
                "-i",
                "--compressed",
                "--max-time",
                "60",
                "-H",
                "Accept-Encoding: " + coding,
                url("/events/" + coding + "?count=" + count))
            .redirectErrorStream(true)
            .start();
    try (BufferedReader lines =
        new BufferedReader(new InputStreamReader(curl.getInputStream(), StandardCharsets.UTF_8))) {
      List<String> head = new ArrayList<>();
      String line;
      while ((line = lines.readLine()) != null && !line.isEmpty()) {
        head.add(line.toLowerCase(Locale.ROOT));
      }
      assertThat(head).contains("content-encoding: " + coding, "vary: accept-encoding");
      for (int n = 0; n < count; n++) {
        String data = null;
        while ((line = lines.readLine()) != null) {
          if (line.startsWith("data: ")) {
            data = line;
            break;
          }
        }
        assertThat(data).as("event %d", n).startsWith("data: event " + n + " ");
        HttpResponse<String> ack =
            client.send(
                HttpRequest.newBuilder(URI.create(url("/ack/" + coding + "/" + n)))
                    .POST(HttpRequest.BodyPublishers.noBody())
                    .timeout(Duration.ofSeconds(30))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(ack.statusCode()).isEqualTo(200);
      }
      assertThat(curl.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(curl.exitValue()).isZero();
    } finally {
      curl.destroyForcibly();
    }
  }

  /** The body as it came over the wire (java.net.http does not decode). */
  private byte[] raw(String path, String acceptEncoding) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(30));
    if (acceptEncoding != null) {
      request.header("Accept-Encoding", acceptEncoding);
    }
    HttpResponse<byte[]> response =
        client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("content-encoding"))
        .isEqualTo(java.util.Optional.ofNullable(acceptEncoding));
    return response.body();
  }

  private static byte[] decode(String coding, byte[] bytes) {
    ChannelHandler decoder =
        switch (coding) {
          case "zstd" -> new ZstdDecoder();
          case "br" -> new BrotliDecoder();
          default -> new JdkZlibDecoder(ZlibWrapper.GZIP);
        };
    EmbeddedChannel channel = new EmbeddedChannel(decoder);
    channel.writeInbound(Unpooled.wrappedBuffer(bytes));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteBuf b;
    while ((b = channel.readInbound()) != null) {
      byte[] piece = new byte[b.readableBytes()];
      b.readBytes(piece);
      b.release();
      out.writeBytes(piece);
    }
    channel.finishAndReleaseAll();
    return out.toByteArray();
  }
}
