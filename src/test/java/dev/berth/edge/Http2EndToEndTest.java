package dev.berth.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.testing.Await;
import dev.berth.testing.BerthProcess;
import dev.berth.testing.Curl;
import dev.berth.testing.TestPki;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP/2 with a real berth and real clients: curl ({@code --http2} by ALPN on a TLS listener,
 * {@code --http2-prior-knowledge} on an h2c one), h2load, and nghttp for the frames of a drain. A
 * Flask app under gunicorn answers behind a prefix mount, as it would over HTTP/1.1.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class Http2EndToEndTest {

  private static final String LARGE = "0123456789abcdef".repeat(100_000);

  private final TestPki pki = new TestPki();
  private Path tmp;
  private Path rootPem;
  private BerthProcess berth;
  private int tls;
  private int h2c;
  private int plain;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    tmp = dir;
    Path www = Files.createDirectories(tmp.resolve("www"));
    Files.writeString(www.resolve("hello.txt"), "hello over h2\n");
    Files.writeString(www.resolve("large.txt"), LARGE);
    Path certs = Files.createDirectories(tmp.resolve("certs"));
    TestPki.write(pki.leaf("a.test"), certs, "a");
    rootPem = pki.writeRoot(tmp.resolve("test-root.pem"));
    Files.writeString(
        tmp.resolve("users"),
        "alice:" + OpenBSDBCrypt.generate("2y", "wonder".toCharArray(), new byte[16], 4) + "\n");
    tls = BerthProcess.freePort();
    h2c = BerthProcess.freePort();
    plain = BerthProcess.freePort();
    Path config =
        BerthProcess.write(
            tmp.resolve("berth.toml"),
            """
            state_dir = "%1$s/state"
            shutdown_timeout = "20s"

            [access_log]
            path = "%1$s/access.log"

            [[listeners]]
            address = "127.0.0.1:%2$d"
            tls = { certificate = "%1$s/certs/a.pem", key = "%1$s/certs/a.key" }

            [[listeners]]
            address = "127.0.0.1:%3$d"
            http2_cleartext = true

            [[listeners]]
            address = "127.0.0.1:%4$d"

            [tls]
            hsts = "max-age=600"

            [apps.web]
            user = "root"
            dir = "%5$s"
            command = "/usr/bin/gunicorn --workers 4 wsgi:app"

            [[routes]]
            path = "/app"
            app = "web"
            max_body_size = "2m"

            [[routes]]
            path = "/private"
            app = "web"
            strip_prefix = true
            basic_auth = { users_file = "%1$s/users" }

            [[routes]]
            static = "%1$s/www"
            """
                .formatted(tmp, tls, h2c, plain, BerthProcess.testApp()));
    berth = BerthProcess.up(config);
  }

  @AfterAll
  void stop() {
    if (berth != null) {
      berth.close();
    }
  }

  private Curl.Response overTls(String path, String... args) throws Exception {
    List<String> all =
        new ArrayList<>(
            List.of(
                "--http2",
                "--cacert",
                rootPem.toString(),
                "--resolve",
                "a.test:" + tls + ":127.0.0.1"));
    all.addAll(List.of(args));
    return Curl.get("https://a.test:" + tls + path, all.toArray(String[]::new));
  }

  private Curl.Response cleartext(int port, String path, String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of("--http2-prior-knowledge"));
    all.addAll(List.of(args));
    return Curl.get("http://127.0.0.1:" + port + path, all.toArray(String[]::new));
  }

  @Test
  @Order(1)
  void alpnPicksHttp2AndTheAppSeesHttp11WithItsMountAndForwardingFields() throws Exception {
    Curl.Response response = overTls("/app/echo?q=1", "-H", "Cookie: a=1", "-H", "Cookie: b=2");
    assertThat(response.headers()).startsWith("HTTP/2 200");
    assertThat(response.header("server")).isEqualTo("berth");
    assertThat(response.header("strict-transport-security")).isEqualTo("max-age=600");
    String echo = response.body();
    assertThat(echo)
        .contains("\"path\":\"/echo\"")
        .contains("\"script_root\":\"/app\"")
        .contains("\"full_path\":\"/echo?q=1\"")
        .contains("\"host\":\"a.test:" + tls + "\"")
        .contains("\"x-forwarded-proto\":\"https\"")
        .contains("\"x-forwarded-for\":\"127.0.0.1\"")
        .contains("\"cookie\":\"a=1; b=2\"")
        .doesNotContain("x-http2");
  }

  @Test
  @Order(2)
  void anHttp11ClientStillGetsHttp11OnTheTlsListener() throws Exception {
    Curl.Response response =
        Curl.get(
            "https://a.test:" + tls + "/hello.txt",
            "--http1.1",
            "--cacert",
            rootPem.toString(),
            "--resolve",
            "a.test:" + tls + ":127.0.0.1");
    assertThat(response.headers()).startsWith("HTTP/1.1 200");
    assertThat(response.body()).isEqualTo("hello over h2\n");
  }

  @Test
  @Order(3)
  void aPostBodyGoesThroughOnAStreamAndTheRouteLimitHolds() throws Exception {
    Path body = tmp.resolve("body.bin");
    Files.write(body, new byte[1_500_000]);
    Curl.Response posted = cleartext(h2c, "/app/echo", "--data-binary", "@" + body);
    assertThat(posted.headers()).startsWith("HTTP/2 200");
    assertThat(posted.body()).contains("\"body_length\":1500000").contains("\"method\":\"POST\"");

    // Past the limit, berth answers 413 (from the declared length at once, else when its count
    // passes the limit) and tells the client to stop sending (RST_STREAM NO_ERROR after the
    // response, RFC 9113 8.1). curl 7.88 takes that reset for an error when it comes while curl
    // still uploads (a race: exit 92 now and then), so python3-h2 sends these two.
    Path client = tmp.resolve("upload.py");
    Files.writeString(client, UPLOAD_WITHOUT_LENGTH);
    String declared =
        run(new ProcessBuilder("/usr/bin/python3", client.toString(), "" + h2c, "declared"));
    assertThat(declared).contains("status 413").contains("reset 0");
    String out = run(new ProcessBuilder("/usr/bin/python3", client.toString(), "" + h2c));
    assertThat(out).contains("status 413").contains("reset 0");
  }

  @Test
  @Order(8)
  void aPasswordCheckedOffTheEventLoopHoldsTheStreamsBodyUntilItsVerdict() throws Exception {
    Curl.Response refused = overTls("/private/echo");
    assertThat(refused.headers()).startsWith("HTTP/2 401");
    Curl.Response passed =
        overTls("/private/echo", "-u", "alice:wonder", "--data-binary", "posted while checked");
    assertThat(passed.headers()).startsWith("HTTP/2 200");
    assertThat(passed.body()).contains("\"body_length\":20").contains("\"path\":\"/echo\"");
  }

  @Test
  @Order(4)
  void staticFilesSmallAndLargeGoOutOnStreams() throws Exception {
    Curl.Response large = overTls("/large.txt");
    assertThat(large.headers()).startsWith("HTTP/2 200");
    assertThat(large.body()).isEqualTo(LARGE);
    Curl.Response small = cleartext(h2c, "/hello.txt");
    assertThat(small.headers()).startsWith("HTTP/2 200");
    assertThat(small.body()).isEqualTo("hello over h2\n");
  }

  @Test
  @Order(5)
  void onlyTheH2cListenerTakesThePreface() throws Exception {
    // curl with prior knowledge on a listener without http2_cleartext: berth speaks HTTP/1.1,
    // which curl cannot read as HTTP/2.
    assertThat(Curl.get("http://127.0.0.1:" + h2c + "/hello.txt").headers())
        .startsWith("HTTP/1.1 200");
    Process curl =
        new ProcessBuilder(
                "curl",
                "-sS",
                "--max-time",
                "10",
                "--http2-prior-knowledge",
                "http://127.0.0.1:" + plain + "/hello.txt")
            .redirectErrorStream(true)
            .start();
    try {
      assertThat(curl.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(curl.exitValue()).isNotZero();
    } finally {
      curl.destroyForcibly();
    }
  }

  @Test
  @Order(6)
  void theAccessLogSaysHttp2() throws Exception {
    overTls("/app/echo?from=log");
    Path log = tmp.resolve("access.log");
    String line =
        Await.value(
            "the access log line",
            () ->
                Files.exists(log)
                    ? Files.readAllLines(log).stream()
                        .filter(l -> l.contains("from=log"))
                        .findFirst()
                        .orElse("")
                    : "",
            l -> !l.isEmpty());
    assertThat(line).contains("\"GET /app/echo?from=log HTTP/2.0\" 200 ").contains("unix:");
  }

  @Test
  @Order(7)
  void h2loadRequestsAllSucceed() throws Exception {
    String out =
        run(
            new ProcessBuilder(
                "h2load",
                "-n",
                "2000",
                "-c",
                "4",
                "-m",
                "10",
                "http://127.0.0.1:" + h2c + "/app/"));
    assertThat(out).contains("2000 succeeded, 0 failed, 0 errored").contains("2000 2xx");
    String tlsOut =
        run(
            new ProcessBuilder(
                "h2load",
                "-n",
                "400",
                "-c",
                "2",
                "-m",
                "10",
                "https://127.0.0.1:" + tls + "/hello.txt"));
    assertThat(tlsOut)
        .contains("Application protocol: h2")
        .contains("400 succeeded, 0 failed, 0 errored");
  }

  /** Last: berth stops under a request in flight, which completes after the GOAWAY. */
  @Test
  @Order(100)
  void aDrainSendsGoawayAndLetsTheStreamInFlightFinish() throws Exception {
    Path started = tmp.resolve("slow-started");
    Process nghttp =
        new ProcessBuilder(
                "nghttp",
                "-v",
                "http://127.0.0.1:" + h2c + "/app/slow?seconds=2&started=" + started)
            .redirectErrorStream(true)
            .start();
    try {
      Await.until("the slow request reached the app", () -> Files.exists(started));
      berth.terminate(Duration.ofSeconds(30));
      assertThat(nghttp.waitFor(30, TimeUnit.SECONDS)).isTrue();
      String frames = new String(nghttp.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      Matcher request =
          Pattern.compile("send HEADERS frame <[^>]*stream_id=(\\d+)>").matcher(frames);
      assertThat(request.find()).as(frames).isTrue();
      assertThat(frames)
          .contains("recv GOAWAY frame")
          .contains("last_stream_id=" + request.group(1) + ", error_code=NO_ERROR")
          .contains(":status: 200")
          .contains("slept 2");
      assertThat(frames.indexOf("recv GOAWAY")).isLessThan(frames.indexOf(":status: 200"));
    } finally {
      nghttp.destroyForcibly();
    }
  }

  /**
   * PUTs 3 MB in DATA frames, with no content-length, as fast as the windows let it; prints the
   * response's status and the reset's error code.
   */
  private static final String UPLOAD_WITHOUT_LENGTH =
      """
      import socket, sys
      import h2.config, h2.connection, h2.events
      s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
      s.settimeout(20)
      c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
      c.initiate_connection()
      sent, total, open_ = 0, 3_000_000, True
      length = [("content-length", str(total))] if sys.argv[2:] == ["declared"] else []
      c.send_headers(1, [(":method", "PUT"), (":path", "/app/echo"), (":scheme", "http"),
                         (":authority", "127.0.0.1")] + length)
      s.sendall(c.data_to_send())
      while open_:
          while open_ and sent < total and c.local_flow_control_window(1) > 0:
              n = min(16384, c.local_flow_control_window(1), total - sent)
              c.send_data(1, bytes(n))
              sent += n
              s.sendall(c.data_to_send())
          data = s.recv(65536)
          if not data:
              break
          for event in c.receive_data(data):
              if isinstance(event, h2.events.ResponseReceived):
                  print("status", dict(event.headers)[b":status"].decode())
              if isinstance(event, h2.events.StreamReset):
                  print("reset", event.error_code)
                  open_ = False
          s.sendall(c.data_to_send())
      """;

  /** Runs a client to its end and returns its output. */
  private static String run(ProcessBuilder builder) throws IOException, InterruptedException {
    Process process = builder.redirectErrorStream(true).start();
    try {
      String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
      return out;
    } finally {
      process.destroyForcibly();
    }
  }
}
