package dev.berth.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.testing.BerthProcess;
import dev.berth.testing.Curl;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Static routes of a real berth, asked with java.net.http and curl: validators and conditional
 * requests, byte ranges, gzip (precompressed and on the fly), symlinks and Cache-Control.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StaticFilesEndToEndTest {

  private static final String CACHE_CONTROL = "public, max-age=60";

  private Path www;
  private BerthProcess berth;
  private String base;
  private final HttpClient http =
      HttpClient.newBuilder()
          .followRedirects(HttpClient.Redirect.NEVER)
          .connectTimeout(Duration.ofSeconds(10))
          .build();

  private byte[] text;
  private byte[] binary;
  private byte[] script;
  private byte[] scriptGz;

  @BeforeAll
  void start(@TempDir Path tmp) throws Exception {
    www = Files.createDirectories(tmp.resolve("www"));
    text = lines("a line of text that deflate will shrink", 200);
    Files.write(www.resolve("text.txt"), text);
    binary = new byte[100_000];
    new Random(42).nextBytes(binary);
    Files.write(www.resolve("blob.bin"), binary);
    // A precompressed sibling, newer than its file; one that is older must be passed over.
    script = lines("function greet(name) { return 'hello ' + name; }", 100);
    scriptGz = gzip(script);
    FileTime now = FileTime.fromMillis(System.currentTimeMillis());
    Files.setLastModifiedTime(Files.write(www.resolve("app.js"), script), now);
    Files.setLastModifiedTime(Files.write(www.resolve("app.js.gz"), scriptGz), now);
    Files.setLastModifiedTime(
        Files.write(www.resolve("stale.css"), lines("body { color: red; }", 50)), now);
    Path staleGz =
        Files.write(www.resolve("stale.css.gz"), gzip("old".getBytes(StandardCharsets.UTF_8)));
    Files.setLastModifiedTime(staleGz, FileTime.fromMillis(now.toMillis() - 60_000));
    Files.writeString(www.resolve("small.txt"), "too small to compress\n");
    Files.write(
        www.resolve("big.txt"), lines("a big file is compressed only when precompressed", 25_000));
    Files.write(www.resolve("empty.txt"), new byte[0]);
    Files.createDirectories(www.resolve("docs"));
    Files.writeString(www.resolve("docs/index.html"), "<h1>docs</h1>\n");
    Files.writeString(tmp.resolve("outside.txt"), "from outside the root\n");
    Files.createSymbolicLink(www.resolve("out.txt"), tmp.resolve("outside.txt"));

    int port = BerthProcess.freePort();
    base = "http://127.0.0.1:" + port;
    String config =
        """
        state_dir = "%1$s/state"
        shutdown_timeout = "5s"

        [[listeners]]
        address = "127.0.0.1:%2$d"

        [[routes]]
        path = "/files"
        static = "%1$s/www"

        [[routes]]
        path = "/linked"
        static = "%1$s/www"
        follow_symlinks = true
        cache_control = "%3$s"

        [[routes]]
        path = "/plain"
        static = "%1$s/www"
        gzip = false
        """
            .formatted(tmp, port, CACHE_CONTROL);
    berth = BerthProcess.up(BerthProcess.write(tmp.resolve("berth.toml"), config));
  }

  @AfterAll
  void stop() {
    if (berth != null) {
      berth.close();
    }
  }

  @Test
  void filesCarryNginxStyleValidatorsAndAcceptRanges() throws Exception {
    HttpResponse<byte[]> blob = get("/files/blob.bin", "Accept-Encoding", "gzip");
    assertThat(blob.statusCode()).isEqualTo(200);
    assertThat(blob.body()).isEqualTo(binary);
    assertThat(header(blob, "ETag")).isEqualTo(etag("blob.bin", ""));
    assertThat(header(blob, "Accept-Ranges")).isEqualTo("bytes");
    assertThat(header(blob, "Content-Type")).isEqualTo("application/octet-stream");
    assertThat(header(blob, "Content-Length")).isEqualTo("100000");
    // Not text: never compressed, so nothing varies; and this route sets no Cache-Control.
    assertThat(blob.headers().map())
        .doesNotContainKeys("content-encoding", "vary", "cache-control");
  }

  @Test
  void conditionalRequestsFollowRfc9110() throws Exception {
    String etag = etag("blob.bin", "");
    HttpResponse<byte[]> notModified = get("/files/blob.bin", "If-None-Match", etag);
    assertThat(notModified.statusCode()).isEqualTo(304);
    assertThat(notModified.body()).isEmpty();
    assertThat(header(notModified, "ETag")).isEqualTo(etag);
    assertThat(header(notModified, "Last-Modified")).isNotNull();
    assertThat(notModified.headers().map()).doesNotContainKeys("content-length", "content-type");

    for (String list : new String[] {"W/" + etag, "\"nope\", " + etag, "*"}) {
      assertThat(get("/files/blob.bin", "If-None-Match", list).statusCode())
          .as(list)
          .isEqualTo(304);
    }
    assertThat(head("/files/blob.bin", "If-None-Match", etag).statusCode()).isEqualTo(304);

    String lastModified = header(get("/files/blob.bin"), "Last-Modified");
    assertThat(get("/files/blob.bin", "If-Modified-Since", lastModified).statusCode())
        .isEqualTo(304);
    // If-None-Match takes precedence: a tag that does not match means the whole file.
    HttpResponse<byte[]> changed =
        get("/files/blob.bin", "If-None-Match", "\"nope\"", "If-Modified-Since", lastModified);
    assertThat(changed.statusCode()).isEqualTo(200);
    assertThat(changed.body()).isEqualTo(binary);

    assertThat(get("/files/blob.bin", "If-Match", "\"nope\"").statusCode()).isEqualTo(412);
    assertThat(get("/files/blob.bin", "If-Match", etag).statusCode()).isEqualTo(200);
  }

  @Test
  void singleRangesGetExactSlices() throws Exception {
    assertSlice(get("/files/blob.bin", "Range", "bytes=0-9"), 0, 10);
    assertSlice(get("/files/blob.bin", "Range", "bytes=500-1499"), 500, 1000);
    assertSlice(get("/files/blob.bin", "Range", "bytes=99990-"), 99_990, 10);
    assertSlice(get("/files/blob.bin", "Range", "bytes=-25"), 100_000 - 25, 25);
    assertSlice(get("/files/blob.bin", "Range", "bytes=99999-200000"), 99_999, 1);

    Curl.Response curl = Curl.get(base + "/files/text.txt", "-H", "Range: bytes=2-11");
    assertThat(curl.status()).isEqualTo(206);
    assertThat(curl.header("Content-Range")).isEqualTo("bytes 2-11/" + text.length);
    assertThat(curl.body()).isEqualTo(new String(text, 2, 10, StandardCharsets.UTF_8));
    assertThat(curl.header("Content-Encoding")).isNull();
  }

  @Test
  void unsatisfiableInvalidAndMultipleRanges() throws Exception {
    HttpResponse<byte[]> unsatisfiable = get("/files/blob.bin", "Range", "bytes=100000-");
    assertThat(unsatisfiable.statusCode()).isEqualTo(416);
    assertThat(header(unsatisfiable, "Content-Range")).isEqualTo("bytes */100000");
    assertThat(get("/files/empty.txt", "Range", "bytes=0-").statusCode()).isEqualTo(416);

    for (String ignored : new String[] {"bytes=abc", "bytes=9-5", "lines=1-2", "bytes=0-1,5-6"}) {
      HttpResponse<byte[]> whole = get("/files/blob.bin", "Range", ignored);
      assertThat(whole.statusCode()).as(ignored).isEqualTo(200);
      assertThat(whole.body()).as(ignored).isEqualTo(binary);
    }
    // Range is for GET only: HEAD describes the whole file.
    HttpResponse<byte[]> head = head("/files/blob.bin", "Range", "bytes=0-9");
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(header(head, "Content-Length")).isEqualTo("100000");
  }

  @Test
  void ifRangeServesTheSliceOnlyForTheSameFile() throws Exception {
    String etag = etag("blob.bin", "");
    String lastModified = header(get("/files/blob.bin"), "Last-Modified");
    assertSlice(get("/files/blob.bin", "Range", "bytes=10-19", "If-Range", etag), 10, 10);
    assertSlice(get("/files/blob.bin", "Range", "bytes=10-19", "If-Range", lastModified), 10, 10);
    for (String other : new String[] {"\"1-2\"", "W/" + etag, "Thu, 01 Jan 2015 00:00:00 GMT"}) {
      HttpResponse<byte[]> whole =
          get("/files/blob.bin", "Range", "bytes=10-19", "If-Range", other);
      assertThat(whole.statusCode()).as(other).isEqualTo(200);
      assertThat(whole.body()).as(other).isEqualTo(binary);
    }
  }

  @Test
  void textIsGzippedOnTheFlyForClientsThatAcceptIt() throws Exception {
    HttpResponse<byte[]> gzipped =
        get("/files/text.txt", "Accept-Encoding", "br;q=1.0, gzip;q=0.8");
    assertThat(gzipped.statusCode()).isEqualTo(200);
    assertThat(header(gzipped, "Content-Encoding")).isEqualTo("gzip");
    assertThat(header(gzipped, "Vary")).isEqualTo("Accept-Encoding");
    assertThat(header(gzipped, "Content-Length")).isEqualTo(String.valueOf(gzipped.body().length));
    assertThat(header(gzipped, "ETag")).isEqualTo(etag("text.txt", "-gzip"));
    assertThat(gzipped.body().length).isLessThan(text.length / 4);
    assertThat(gunzip(gzipped.body())).isEqualTo(text);
    assertThat(get("/files/text.txt", "Accept-Encoding", "gzip").body()).isEqualTo(gzipped.body());

    Curl.Response curl = Curl.get(base + "/files/text.txt", "--compressed");
    assertThat(curl.header("Content-Encoding")).isEqualTo("gzip");
    assertThat(curl.body()).isEqualTo(new String(text, StandardCharsets.UTF_8));

    HttpResponse<byte[]> head = head("/files/text.txt", "Accept-Encoding", "gzip");
    assertThat(head.body()).isEmpty();
    assertThat(header(head, "Content-Length")).isEqualTo(String.valueOf(gzipped.body().length));

    HttpResponse<byte[]> notModified =
        get(
            "/files/text.txt",
            "Accept-Encoding",
            "gzip",
            "If-None-Match",
            etag("text.txt", "-gzip"));
    assertThat(notModified.statusCode()).isEqualTo(304);
    assertThat(header(notModified, "Vary")).isEqualTo("Accept-Encoding");
    assertThat(notModified.headers().map()).doesNotContainKey("content-encoding");
    // The identity tag does not validate the gzip, nor the other way round.
    assertThat(
            get("/files/text.txt", "Accept-Encoding", "gzip", "If-None-Match", etag("text.txt", ""))
                .statusCode())
        .isEqualTo(200);
  }

  @Test
  void identityForClientsThatRefuseGzipAndForRanges() throws Exception {
    for (String[] headers :
        new String[][] {{}, {"Accept-Encoding", "gzip;q=0, br"}, {"Accept-Encoding", "identity"}}) {
      HttpResponse<byte[]> identity = get("/files/text.txt", headers);
      assertThat(identity.body()).as(Arrays.toString(headers)).isEqualTo(text);
      assertThat(identity.headers().map()).doesNotContainKey("content-encoding");
      assertThat(header(identity, "Vary")).isEqualTo("Accept-Encoding");
      assertThat(header(identity, "ETag")).isEqualTo(etag("text.txt", ""));
    }
    HttpResponse<byte[]> range =
        get("/files/text.txt", "Accept-Encoding", "gzip", "Range", "bytes=0-99");
    assertThat(range.statusCode()).isEqualTo(206);
    assertThat(range.headers().map()).doesNotContainKey("content-encoding");
    assertThat(range.body()).isEqualTo(Arrays.copyOf(text, 100));
  }

  @Test
  void aFreshPrecompressedSiblingIsServedAsItIs() throws Exception {
    HttpResponse<byte[]> script = get("/files/app.js", "Accept-Encoding", "gzip");
    assertThat(header(script, "Content-Encoding")).isEqualTo("gzip");
    assertThat(header(script, "Content-Type")).startsWith("text/javascript");
    assertThat(header(script, "ETag")).isEqualTo(etag("app.js.gz", "-gzip"));
    assertThat(script.body()).isEqualTo(scriptGz);
    assertThat(get("/files/app.js").body()).isEqualTo(this.script);

    // stale.css.gz is older than stale.css: compressed here instead.
    HttpResponse<byte[]> css = get("/files/stale.css", "Accept-Encoding", "gzip");
    assertThat(header(css, "Content-Encoding")).isEqualTo("gzip");
    assertThat(gunzip(css.body())).isEqualTo(Files.readAllBytes(www.resolve("stale.css")));
  }

  @Test
  void smallBigAndGzipOffFilesAreNotCompressed() throws Exception {
    HttpResponse<byte[]> small = get("/files/small.txt", "Accept-Encoding", "gzip");
    assertThat(small.headers().map()).doesNotContainKeys("content-encoding", "vary");
    // Over 1 MiB without a .gz: not worth stalling the event loop for, but still negotiable.
    HttpResponse<byte[]> big = get("/files/big.txt", "Accept-Encoding", "gzip");
    assertThat(big.headers().map()).doesNotContainKey("content-encoding");
    assertThat(header(big, "Vary")).isEqualTo("Accept-Encoding");
    assertThat(big.body()).isEqualTo(Files.readAllBytes(www.resolve("big.txt")));
    for (String file : new String[] {"text.txt", "app.js"}) {
      HttpResponse<byte[]> plain = get("/plain/" + file, "Accept-Encoding", "gzip");
      assertThat(plain.headers().map()).as(file).doesNotContainKeys("content-encoding", "vary");
      assertThat(plain.body()).as(file).isEqualTo(Files.readAllBytes(www.resolve(file)));
    }
  }

  @Test
  void symlinksOutOfTheRootOnlyWhereFollowed() throws Exception {
    Curl.Response refused = Curl.get(base + "/files/out.txt");
    assertThat(refused.status()).isEqualTo(403);
    assertThat(refused.body()).doesNotContain("from outside");
    Curl.Response followed = Curl.get(base + "/linked/out.txt");
    assertThat(followed.status()).isEqualTo(200);
    assertThat(followed.body()).isEqualTo("from outside the root\n");
    assertThat(Curl.get(base + "/linked/../outside.txt", "--path-as-is").status()).isEqualTo(400);
  }

  @Test
  void cacheControlOnEveryAnswerWithTheFile() throws Exception {
    String etag = etag("blob.bin", "");
    List<HttpResponse<byte[]>> answers =
        List.of(
            get("/linked/blob.bin"),
            get("/linked/blob.bin", "Range", "bytes=0-0"),
            get("/linked/blob.bin", "If-None-Match", etag));
    for (HttpResponse<byte[]> response : answers) {
      assertThat(header(response, "Cache-Control"))
          .as("%d", response.statusCode())
          .isEqualTo(CACHE_CONTROL);
    }
    assertThat(get("/files/blob.bin").headers().map()).doesNotContainKey("cache-control");
  }

  @Test
  void methodsIndexRedirectsAndErrors() throws Exception {
    HttpRequest postRequest =
        request("/files/text.txt").POST(HttpRequest.BodyPublishers.ofString("x")).build();
    HttpResponse<byte[]> post = http.send(postRequest, HttpResponse.BodyHandlers.ofByteArray());
    assertThat(post.statusCode()).isEqualTo(405);
    assertThat(header(post, "Allow")).isEqualTo("GET, HEAD");

    HttpResponse<byte[]> redirect = get("/files/docs?x=1");
    assertThat(redirect.statusCode()).isEqualTo(301);
    assertThat(header(redirect, "Location")).isEqualTo("/files/docs/?x=1");
    assertThat(new String(get("/files/docs/").body(), StandardCharsets.UTF_8))
        .isEqualTo("<h1>docs</h1>\n");

    HttpResponse<byte[]> head = head("/files/blob.bin");
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(header(head, "Content-Length")).isEqualTo("100000");
    assertThat(head.body()).isEmpty();
    HttpResponse<byte[]> empty = get("/files/empty.txt");
    assertThat(empty.statusCode()).isEqualTo(200);
    assertThat(empty.body()).isEmpty();

    Curl.Response missing = Curl.get(base + "/files/missing.txt");
    assertThat(missing.status()).isEqualTo(404);
    assertThat(missing.body()).doesNotContain("Exception").doesNotContain("dev.berth");
  }

  private void assertSlice(HttpResponse<byte[]> response, int offset, int length) {
    assertThat(response.statusCode()).isEqualTo(206);
    assertThat(header(response, "Content-Range"))
        .isEqualTo("bytes " + offset + "-" + (offset + length - 1) + "/" + binary.length);
    assertThat(header(response, "Content-Length")).isEqualTo(String.valueOf(length));
    assertThat(header(response, "ETag")).isEqualTo(etag("blob.bin", ""));
    assertThat(response.body()).isEqualTo(Arrays.copyOfRange(binary, offset, offset + length));
  }

  /** The tag nginx would give the file: hex mtime seconds, hex size. */
  private String etag(String file, String suffix) {
    try {
      Path path = www.resolve(file);
      long seconds = Files.getLastModifiedTime(path).toMillis() / 1000;
      return "\""
          + Long.toHexString(seconds)
          + "-"
          + Long.toHexString(Files.size(path))
          + suffix
          + "\"";
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private HttpRequest.Builder request(String path, String... headers) {
    HttpRequest.Builder builder =
        HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
    return headers.length == 0 ? builder : builder.headers(headers);
  }

  private HttpResponse<byte[]> get(String path, String... headers)
      throws IOException, InterruptedException {
    return http.send(request(path, headers).build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private HttpResponse<byte[]> head(String path, String... headers)
      throws IOException, InterruptedException {
    return http.send(
        request(path, headers).HEAD().build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static String header(HttpResponse<?> response, String name) {
    return response.headers().firstValue(name).orElse(null);
  }

  private static byte[] lines(String line, int count) {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < count; i++) {
      text.append(i).append(": ").append(line).append('\n');
    }
    return text.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] gzip(byte[] content) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
      gzip.write(content);
    }
    return out.toByteArray();
  }

  private static byte[] gunzip(byte[] compressed) throws IOException {
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(compressed))) {
      return in.readAllBytes();
    }
  }
}
