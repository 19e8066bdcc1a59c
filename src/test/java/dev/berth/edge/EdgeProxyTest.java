package dev.berth.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.testing.BerthProcess;
import dev.berth.testing.Curl;
import dev.berth.testing.HttpConnection;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The edge as a reverse proxy, against a raw-socket test server that can misbehave on purpose
 * (rawserver.py): keep-alive reuse, retries, balancing, health checks, limits, timeouts, strict
 * parsing. Every case uses real clients: java.net.http, curl, or raw sockets.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EdgeProxyTest {

  private Path tmp;
  private BerthProcess berth;
  private Process live;
  private int port;
  private String base;
  private final HttpClient http =
      HttpClient.newBuilder()
          .followRedirects(HttpClient.Redirect.NEVER)
          .connectTimeout(Duration.ofSeconds(10))
          .build();

  @BeforeAll
  void start(@TempDir Path tmp) throws Exception {
    this.tmp = tmp;
    Path app = BerthProcess.testApp();
    // A peer berth does not run, next to a dead one: berth must route around the dead one.
    live =
        new ProcessBuilder(
                "/usr/bin/python3",
                app.resolve("rawserver.py").toString(),
                tmp.resolve("live.sock").toString())
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve("live.out").toFile())
            .start();
    port = BerthProcess.freePort();
    base = "http://127.0.0.1:" + port;
    String config =
        """
        state_dir = "%1$s/state"

        [edge]
        client_header_timeout = "2s"
        keepalive_timeout = "2s"
        trusted_proxies = ["127.0.0.1/32"]
        forwarded_header = true
        max_body_size = "1m"

        [[listeners]]
        address = "127.0.0.1:%2$d"

        [apps.raw]
        user = "root"
        dir = "%3$s"
        command = "/usr/bin/python3 rawserver.py"
        instances = 2
        env = { REQUEST_LOG = "%1$s/raw.log" }

        [apps.least]
        user = "root"
        dir = "%3$s"
        command = "/usr/bin/python3 rawserver.py"
        instances = 2
        balance = "least_conn"
        env = { REQUEST_LOG = "%1$s/least.log" }

        [apps.checked]
        user = "root"
        dir = "%3$s"
        command = "/usr/bin/python3 rawserver.py"
        instances = 2
        env = { HEALTH_FLAG = "%1$s/sick" }
        health_check = { path = "/health", interval = "200ms", timeout = "1s" }

        [apps.mixed]
        upstreams = ["unix:%1$s/dead.sock", "unix:%1$s/live.sock"]

        [[routes]]
        path = "/raw"
        app = "raw"
        strip_prefix = true

        [[routes]]
        path = "/impatient"
        app = "raw"
        strip_prefix = true
        upstream_response_timeout = "1s"

        [[routes]]
        path = "/small"
        app = "raw"
        strip_prefix = true
        max_body_size = "1k"

        [[routes]]
        path = "/roomy"
        app = "raw"
        strip_prefix = true
        max_body_size = "100m"

        [[routes]]
        path = "/least"
        app = "least"
        strip_prefix = true

        [[routes]]
        path = "/checked"
        app = "checked"
        strip_prefix = true

        [[routes]]
        path = "/mixed"
        app = "mixed"
        strip_prefix = true
        """
            .formatted(tmp, port, app);
    awaitFile(tmp.resolve("live.sock"));
    berth = BerthProcess.up(BerthProcess.write(tmp.resolve("berth.toml"), config));
  }

  @AfterAll
  void stop() throws Exception {
    if (berth != null) {
      berth.close();
    }
    if (live != null) {
      live.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  private HttpResponse<String> get(String path, String... headers)
      throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path));
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String path, byte[] body)
      throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create(base + path))
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void upstreamConnectionsAreKeptAliveAndReused() throws Exception {
    // rawserver answers "<instance> <connection id> <requests served on it>".
    Map<String, Integer> mostOnOneConnection = new HashMap<>();
    for (int i = 0; i < 10; i++) {
      String[] answer = get("/raw/conn").body().trim().split(" ");
      mostOnOneConnection.merge(answer[0], Integer.parseInt(answer[2]), Math::max);
    }
    assertThat(mostOnOneConnection.values()).anyMatch(served -> served >= 3);
  }

  @Test
  void trustedProxyChainIsExtendedAndForwardedIsSent() throws Exception {
    String seen =
        get("/raw/headers", "X-Forwarded-For", "203.0.113.9", "X-Forwarded-Proto", "https").body();
    assertThat(seen)
        .contains("x-forwarded-for: 203.0.113.9, 127.0.0.1\n")
        .contains("x-forwarded-proto: https\n")
        .contains("x-forwarded-prefix: /raw\n")
        .contains("forwarded: for=127.0.0.1;proto=http;host=\"127.0.0.1:" + port + "\"\n")
        .doesNotContain("script_name");
  }

  @Test
  void trustedProxyMountAndForwardedChainAreExtended() throws Exception {
    String seen =
        get(
                "/raw/headers",
                "X-Forwarded-Prefix",
                "/outer/",
                "X-Forwarded-Host",
                "example.org",
                "X-Forwarded-Port",
                "443",
                "Forwarded",
                "for=203.0.113.9;proto=https")
            .body();
    assertThat(seen)
        .contains("x-forwarded-for: 127.0.0.1\n")
        .contains("x-forwarded-prefix: /outer/raw\n")
        .contains("x-forwarded-host: example.org\n")
        .contains("x-forwarded-port: 443\n")
        .contains("x-forwarded-proto: http\n")
        .contains(
            "forwarded: for=203.0.113.9;proto=https, for=127.0.0.1;proto=http;host=\"127.0.0.1:"
                + port
                + "\"\n");
  }

  @Test
  void redirectsOfAStrippedAppStayUnderItsPrefix() throws Exception {
    assertThat(get("/raw/location").headers().firstValue("Location")).contains("/raw/login");
    assertThat(get("/raw/location?to=https://example.com/x").headers().firstValue("Location"))
        .contains("https://example.com/x");
  }

  @Test
  void interimResponsesAreDroppedAndCloseDelimitedBodiesRechunked() throws Exception {
    assertThat(get("/raw/interim").body()).isEqualTo("final\n");
    Curl.Response untilClose = Curl.get(base + "/raw/nolength");
    assertThat(untilClose.body()).isEqualTo("until the end\n");
    assertThat(untilClose.header("Transfer-Encoding")).isEqualTo("chunked");
  }

  @Test
  void malformedUpstreamResponsesAre502AndTheConnectionIsNotReused() throws Exception {
    assertThat(get("/raw/malformed").statusCode()).isEqualTo(502);
    assertThat(get("/raw/te-gzip").statusCode()).isEqualTo(502);
    assertThat(get("/raw/ok").statusCode()).isEqualTo(200);
  }

  @Test
  void silentAppGets504() throws Exception {
    HttpResponse<String> response = get("/impatient/hang");
    assertThat(response.statusCode()).isEqualTo(504);
    assertThat(response.body()).contains("did not answer in time");
  }

  @Test
  void resetIsRetriedOnlyWhenSafe() throws Exception {
    Path log = tmp.resolve("raw.log");
    HttpResponse<String> post = post("/raw/reset?post", "body".getBytes(StandardCharsets.UTF_8));
    assertThat(post.statusCode()).isEqualTo(502);
    assertThat(count(log, "POST /reset?post "))
        .as("a POST with a body is never sent twice")
        .isEqualTo(1);

    assertThat(get("/raw/reset?get").statusCode()).isEqualTo(502);
    // Sent and lost once, then once more (retries = 1); a loss on a pooled connection counts too,
    // as it cannot be told from an instance that the request itself ended.
    assertThat(count(log, "GET /reset?get "))
        .as("a lost GET goes on to one more instance")
        .isEqualTo(2);
    assertThat(get("/raw/ok").statusCode()).isEqualTo(200);
  }

  @Test
  void deadPeerIsRoutedAround() throws Exception {
    for (int i = 0; i < 10; i++) {
      assertThat(get("/mixed/ok").statusCode()).isEqualTo(200);
      // Refused before anything was sent: safe to retry even a POST.
      assertThat(post("/mixed/sink", new byte[100]).body()).isEqualTo("100\n");
    }
  }

  @Test
  void bodyLimitsGive413BeforeOrWhileStreaming() throws Exception {
    Path log = tmp.resolve("raw.log");
    assertThat(post("/small/sink?fits", new byte[1000]).body()).isEqualTo("1000\n");
    assertThat(post("/small/sink?declared", new byte[2000]).statusCode()).isEqualTo(413);
    assertThat(count(log, "/sink?declared"))
        .as("refused on Content-Length, the app never asked")
        .isZero();

    Path big = Files.write(tmp.resolve("big.bin"), new byte[5000]);
    Curl.Response chunked =
        Curl.get(
            base + "/small/sink?chunked",
            "-X",
            "POST",
            "-H",
            "Transfer-Encoding: chunked",
            "--data-binary",
            "@" + big);
    assertThat(chunked.status()).isEqualTo(413);

    Curl.Response expect =
        Curl.get(
            base + "/small/sink?expect",
            "-X",
            "POST",
            "-H",
            "Expect: 100-continue",
            "--data-binary",
            "@" + big);
    assertThat(expect.status()).isEqualTo(413);
    assertThat(expect.headers()).doesNotContain("100 Continue");
    Curl.Response continued =
        Curl.get(
            base + "/raw/sink",
            "-X",
            "POST",
            "-H",
            "Expect: 100-continue",
            "--data-binary",
            "@" + big);
    assertThat(continued.headers()).startsWith("HTTP/1.1 100 Continue");
    assertThat(continued.body()).isEqualTo("5000\n");
  }

  @Test
  void appAnsweringBeforeReadingTheBodyIsPassedOn() throws Exception {
    HttpResponse<String> early = post("/raw/early", new byte[200_000]);
    assertThat(early.statusCode()).isEqualTo(413);
    assertThat(early.body()).isEqualTo("too large\n");
    assertThat(get("/raw/ok").statusCode()).isEqualTo(200);
  }

  // A client still sending its body (32 MiB) when it is answered must get the answer, not a
  // reset: berth ends its side and drops the rest (a lingering close) instead of closing on
  // unread bytes.
  private static final long BODY = 32 << 20;

  @Test
  void anAppsEarlyAnswerReachesAClientStillSendingItsBody() throws Exception {
    String answer =
        HttpConnection.answerWhileSending(
            port,
            "POST /roomy/early HTTP/1.1\r\nHost: x\r\nContent-Length: " + BODY + "\r\n\r\n",
            BODY,
            false);
    assertThat(answer)
        .startsWith("HTTP/1.1 413 ")
        .contains("Connection: close")
        .endsWith("too large\n");
  }

  @Test
  void a413OnTheDeclaredLengthReachesAClientThatSendsTheBodyAnyway() throws Exception {
    String answer =
        HttpConnection.answerWhileSending(
            port,
            "POST /small/sink HTTP/1.1\r\nHost: x\r\nContent-Length: " + BODY + "\r\n\r\n",
            BODY,
            false);
    assertThat(answer).startsWith("HTTP/1.1 413 ");
  }

  @Test
  void a413WhileStreamingReachesAClientStillSendingChunks() throws Exception {
    String answer =
        HttpConnection.answerWhileSending(
            port,
            "POST /small/sink HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
            BODY,
            true);
    assertThat(answer).startsWith("HTTP/1.1 413 ");
  }

  @Test
  void leastConnectionsAvoidsTheBusyInstance() throws Exception {
    CompletableFuture<HttpResponse<String>> slow =
        http.sendAsync(
            HttpRequest.newBuilder(URI.create(base + "/least/slow?seconds=5")).build(),
            HttpResponse.BodyHandlers.ofString());
    awaitLine(tmp.resolve("least.log"), "GET /slow");
    Set<String> answered = new HashSet<>();
    for (int i = 0; i < 6; i++) {
      answered.add(get("/least/conn").body().split(" ")[0]);
    }
    String busy = slow.get(30, TimeUnit.SECONDS).body().split(" ")[0];
    assertThat(answered).hasSize(1).doesNotContain(busy);
  }

  @Test
  void failingHealthCheckTakesAnInstanceOutUntilItPasses() throws Exception {
    Path sick = tmp.resolve("sick-1");
    Files.writeString(sick, "");
    try {
      awaitOnly("/checked/conn", Set.of("2"));
    } finally {
      Files.delete(sick);
    }
    awaitOnly("/checked/conn", Set.of("1", "2"));
  }

  /** Polls until 8 requests in a row are answered by exactly these instances. */
  private void awaitOnly(String path, Set<String> instances) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    Set<String> seen = Set.of();
    while (System.nanoTime() < deadline) {
      seen = new HashSet<>();
      for (int i = 0; i < 8; i++) {
        seen.add(get(path).body().split(" ")[0]);
      }
      if (seen.equals(instances)) {
        return;
      }
      Thread.sleep(200);
    }
    assertThat(seen).as("instances answering " + path).isEqualTo(instances);
  }

  @Test
  void ambiguousOrMalformedRequestsAreRefusedAndNeverForwarded() throws Exception {
    Map<String, String> cases = new java.util.LinkedHashMap<>();
    String post = "POST /raw/smuggle HTTP/1.1\r\nHost: x\r\n";
    cases.put(post + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "400");
    cases.put(post + "Content-Length: 4\r\nContent-Length: 4\r\n\r\nabcd", "400");
    cases.put(post + "Content-Length: 4, 5\r\n\r\nabcd", "400");
    cases.put(post + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", "501");
    cases.put(
        post + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "400");
    cases.put(post + "Transfer-Encoding: identity\r\n\r\n", "400");
    cases.put("GET /raw/smuggle HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", "400");
    cases.put("GET /raw/smuggle HTTP/1.1\r\n X-A: a\r\nHost: x\r\n\r\n", "400");
    cases.put("GET /raw/smuggle HTTP/1.1\nHost: x\n\n", "400");
    cases.put("GET /raw/smuggle HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n", "400");
    cases.put("GET /raw/smuggle HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\n\r\n", "400");
    cases.put("GET /raw/smuggle HTTP/1.1\r\nHost: x\r\nX-A : a\r\n\r\n", "400");
    cases.put("GET /raw/smuggle HTTP/1.1\r\nHost: x\r\nX(A): a\r\n\r\n", "400");
    cases.put("G@T /raw/smuggle HTTP/1.1\r\nHost: x\r\n\r\n", "400");
    cases.put("GET raw/smuggle HTTP/1.1\r\nHost: x\r\n\r\n", "400");
    cases.put("GET /raw/smuggle#frag HTTP/1.1\r\nHost: x\r\n\r\n", "400");
    cases.put("GET /raw/smuggle HTTP/2.0\r\nHost: x\r\n\r\n", "505");
    cases.put("GET /raw/smuggle HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", "400");
    cases.put("GET /raw/smuggle HTTP/1.1\r\nHost: a b\r\n\r\n", "400");
    cases.put("CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n", "501");
    cases.put("GET /raw/smuggle HTTP/1.1\r\nHost: x\r\nExpect: something\r\n\r\n", "417");
    for (Map.Entry<String, String> c : cases.entrySet()) {
      String answer = raw(c.getKey());
      assertThat(answer).as(c.getKey()).startsWith("HTTP/1.1 " + c.getValue() + " ");
      assertThat(answer.toLowerCase(java.util.Locale.ROOT))
          .as(c.getKey())
          .contains("connection: close");
    }
    assertThat(count(tmp.resolve("raw.log"), "smuggle")).isZero();

    // A head that is fine and a body whose framing is broken: the connection is cut at once.
    String badChunk = raw(post + "Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n");
    assertThat(badChunk).startsWith("HTTP/1.1 400 ");
  }

  @Test
  void slowClientHeadGets408AndIdleKeepAliveCloses() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(20_000);
      socket
          .getOutputStream()
          .write("GET /raw/ok HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.ISO_8859_1));
      String answer =
          new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      assertThat(answer).startsWith("HTTP/1.1 408 ");
    }
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(20_000);
      socket
          .getOutputStream()
          .write("GET /raw/ok HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      // The answer, then nothing more: berth closes the idle connection after keepalive_timeout.
      String answer =
          new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      assertThat(answer).startsWith("HTTP/1.1 200 ").endsWith("GET /ok\n").doesNotContain("408");
    }
  }

  @Test
  void keepAliveConnectionWakesFromRestForEachRequest() throws Exception {
    // keepalive_timeout 2s: the beat is 0.5 s, so after about a second idle the connection has
    // been put to rest (its handlers taken out); each request must bring them back, fresh.
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(20_000);
      OutputStream out = socket.getOutputStream();
      InputStream in = socket.getInputStream();
      for (int i = 0; i < 3; i++) {
        out.write(
            ("GET /raw/rest" + i + " HTTP/1.1\r\nHost: x\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        assertThat(readResponse(in)).startsWith("HTTP/1.1 200 ").endsWith("GET /rest" + i + "\n");
        Thread.sleep(1_300);
      }
      // A request split across the wake-up: its first byte wakes the connection, the rest follows.
      out.write('G');
      out.flush();
      Thread.sleep(300);
      out.write("ET /raw/split HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      assertThat(readResponse(in)).startsWith("HTTP/1.1 200 ").endsWith("GET /split\n");
      // Then, idle past keepalive_timeout while at rest: closed.
      assertThat(in.readAllBytes()).isEmpty();
    }
  }

  /** Reads one response with a Content-Length body. */
  private static String readResponse(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("closed after " + head);
      }
      head.append((char) b);
    }
    java.util.regex.Matcher length =
        java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
    int n = length.find() ? Integer.parseInt(length.group(1)) : 0;
    return head + new String(in.readNBytes(n), StandardCharsets.ISO_8859_1);
  }

  @Test
  void pipelinedRequestsAreAnsweredInOrder() throws Exception {
    StringBuilder requests = new StringBuilder();
    for (int i = 0; i < 5; i++) {
      requests.append("GET /raw/n").append(i).append(" HTTP/1.1\r\nHost: x\r\n\r\n");
    }
    requests.append("GET /raw/last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    String answer = raw(requests.toString());
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      order.add(answer.indexOf("GET /n" + i + "\n"));
    }
    assertThat(order).doesNotContain(-1).isSorted();
    assertThat(answer).endsWith("GET /last\n");
  }

  /** Sends raw bytes, returns everything the server sent until it closed the connection. */
  private String raw(String request) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = socket.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }

  private static long count(Path log, String text) throws IOException {
    if (!Files.exists(log)) {
      return 0;
    }
    return Files.readAllLines(log).stream().filter(line -> line.contains(text)).count();
  }

  private static void awaitLine(Path log, String text) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (count(log, text) == 0) {
      assertThat(System.nanoTime()).as("%s never appeared in %s", text, log).isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  private static void awaitFile(Path file) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!Files.exists(file)) {
      assertThat(System.nanoTime()).as("%s never appeared", file).isLessThan(deadline);
      Thread.sleep(20);
    }
  }
}
