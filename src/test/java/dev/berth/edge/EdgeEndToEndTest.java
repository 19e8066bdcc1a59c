package dev.berth.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.testing.Await;
import dev.berth.testing.BerthProcess;
import dev.berth.testing.Curl;
import java.io.ByteArrayInputStream;
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
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * berth in front of real gunicorn + Flask apps (the bundled examples and a test app), requested
 * with real clients: java.net.http, curl, and raw sockets for what clients will not send.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EdgeEndToEndTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private Path tmp;
  private BerthProcess berth;
  private String base;
  private int port;
  private final HttpClient http =
      HttpClient.newBuilder()
          .followRedirects(HttpClient.Redirect.NEVER)
          .connectTimeout(Duration.ofSeconds(10))
          .build();

  @BeforeAll
  void startBerth(@TempDir Path tmp) throws Exception {
    this.tmp = tmp;
    Path repo = BerthProcess.repo();
    Path www = Files.createDirectories(tmp.resolve("www"));
    for (String name : new String[] {"index.html", "style.css"}) {
      Files.copy(repo.resolve("examples/static").resolve(name), www.resolve(name));
    }
    Files.writeString(tmp.resolve("secret.txt"), "not for you");
    Files.createSymbolicLink(www.resolve("leak.txt"), tmp.resolve("secret.txt"));
    Path docs = Files.createDirectories(tmp.resolve("docs"));
    Files.writeString(docs.resolve("readme.txt"), "docs for files.example.test\n");
    port = BerthProcess.freePort();
    base = "http://127.0.0.1:" + port;
    String config =
        """
        state_dir = "%1$s/state"
        shutdown_timeout = "5s"

        [[listeners]]
        address = "127.0.0.1:%2$d"

        [apps.onboarding]
        user = "root"
        dir = "%3$s/examples/onboarding"
        command = "gunicorn --workers 2 wsgi:app"

        [apps.tasks]
        user = "root"
        dir = "%3$s/examples/tasks"
        command = "gunicorn --workers 1 --threads 4 wsgi:application"

        [apps.testapp]
        user = "root"
        dir = "%4$s"
        command = "gunicorn --workers 1 --threads 4 wsgi:app"
        instances = 2
        env = { GREETING = "hello" }

        [apps.stripped]
        user = "root"
        dir = "%4$s"
        command = "gunicorn wsgi:app"
        socket = "tcp"

        [apps.never]
        user = "root"
        dir = "%4$s"
        command = "sleep 600"
        start_timeout = "1s"
        stop_timeout = "1s"

        [apps.failing]
        user = "root"
        dir = "%4$s"
        command = "/usr/bin/python3 -c 'import sys; print(\\"boom at import\\"); sys.exit(3)'"

        [[routes]]
        path = "/"
        app = "onboarding"

        [[routes]]
        path = "/tasks"
        app = "tasks"

        [[routes]]
        path = "/static"
        static = "%1$s/www"

        [[routes]]
        path = "/t"
        app = "testapp"

        [[routes]]
        path = "/raw"
        app = "stripped"
        strip_prefix = true

        [[routes]]
        path = "/never"
        app = "never"

        [[routes]]
        host = "files.example.test"
        path = "/docs"
        static = "%1$s/docs"

        [[routes]]
        host = "*.wild.test"
        app = "testapp"
        """
            .formatted(tmp, port, repo, BerthProcess.testApp());
    berth = BerthProcess.up(BerthProcess.write(tmp.resolve("berth.toml"), config));
  }

  @AfterAll
  void stopBerth() {
    if (berth != null) {
      berth.close();
    }
  }

  private HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create(base + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String path, String contentType, String body)
      throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create(base + path))
            .header("Content-Type", contentType)
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode json(HttpResponse<String> response) throws IOException {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return JSON.readTree(response.body());
  }

  @Test
  void servesTheOnboardingExampleThroughGunicorn() throws Exception {
    JsonNode index = json(get("/"));
    assertThat(index.get("service").asText()).isEqualTo("onboarding");
    assertThat(index.get("activities").asText()).isEqualTo("/activities");

    assertThat(json(get("/activities/3")).get("name").asText())
        .isEqualTo("Read the deploy runbook");
    assertThat(get("/activities/99").statusCode()).isEqualTo(404);

    HttpResponse<String> plan =
        post("/plan", "application/json", "{\"name\": \"Ada\", \"team\": \"engineering\"}");
    assertThat(json(plan).get("total_minutes").asInt()).isEqualTo(60 + 30 + 45 + 90);
  }

  @Test
  void theServerFieldIsBerthsNeverTheApps() throws Exception {
    // gunicorn's response passes through as bytes; the chunked one is decoded and encoded again;
    // then a static file and berth's own 502.
    for (String path : List.of("/", "/t/stream?chunks=3", "/static/style.css", "/never/x")) {
      assertThat(get(path).headers().allValues("server")).as(path).containsExactly("berth");
    }
  }

  @Test
  void appUnderAPrefixBuildsItsLinksUnderThePrefix() throws Exception {
    HttpResponse<String> index = get("/tasks/");
    assertThat(index.statusCode()).isEqualTo(200);
    assertThat(index.body())
        .contains("href=\"/tasks/task/1\"")
        .contains("href=\"/tasks/task/2\"")
        .contains("action=\"/tasks/add\"");
    assertThat(get("/tasks/task/2").body()).contains("href=\"/tasks/\"");

    HttpResponse<String> added =
        post("/tasks/add", "application/x-www-form-urlencoded", "title=Water+the+plants");
    assertThat(added.statusCode()).isEqualTo(302);
    assertThat(
            URI.create(base)
                .resolve(added.headers().firstValue("Location").orElseThrow())
                .getPath())
        .isEqualTo("/tasks/");
    assertThat(get("/tasks/").body()).contains("Water the plants");
  }

  @Test
  void forwardsWithPrefixAndForwardingHeadersClientsCannotForge() throws Exception {
    Curl.Response response =
        Curl.get(
            base + "/t/echo?x=1",
            "-H",
            "X-Forwarded-For: 6.6.6.6",
            "-H",
            "X-Forwarded-Proto: https",
            "-H",
            "SCRIPT_NAME: /evil",
            "-H",
            "Connection: keep-alive, X-Drop-Me",
            "-H",
            "X-Drop-Me: 1");
    assertThat(response.status()).isEqualTo(200);
    JsonNode echo = JSON.readTree(response.body());
    assertThat(echo.get("path").asText()).isEqualTo("/echo");
    assertThat(echo.get("script_root").asText()).isEqualTo("/t");
    assertThat(echo.get("full_path").asText()).isEqualTo("/echo?x=1");
    JsonNode headers = echo.get("headers");
    assertThat(headers.get("x-forwarded-for").asText()).isEqualTo("127.0.0.1");
    assertThat(headers.get("x-forwarded-proto").asText()).isEqualTo("http");
    assertThat(headers.get("x-forwarded-prefix").asText()).isEqualTo("/t");
    assertThat(headers.get("x-forwarded-host").asText()).isEqualTo("127.0.0.1:" + port);
    assertThat(headers.get("x-forwarded-port").asText()).isEqualTo(Integer.toString(port));
    assertThat(headers.get("host").asText()).isEqualTo("127.0.0.1:" + port);
    assertThat(headers.has("x-drop-me")).as("headers named in Connection are hop-by-hop").isFalse();

    JsonNode env = echo.get("env");
    assertThat(env.get("GREETING").asText()).isEqualTo("hello");
    assertThat(env.get("BERTH_APP").asText()).isEqualTo("testapp");
    assertThat(env.get("BERTH_SOCKET").asText()).endsWith(".sock");
  }

  @Test
  void stripPrefixHandsTheAppTheBarePathOverTcp() throws Exception {
    JsonNode echo = json(get("/raw/echo"));
    assertThat(echo.get("path").asText()).isEqualTo("/echo");
    assertThat(echo.get("script_root").asText()).isEmpty();
    assertThat(echo.get("headers").get("x-forwarded-prefix").asText()).isEqualTo("/raw");
    assertThat(echo.get("env").get("PORT").asText()).matches("\\d+");
    assertThat(json(get("/raw")).get("app").asText()).isEqualTo("testapp");
  }

  @Test
  void requestsGoRoundRobinOverInstances() throws Exception {
    Set<String> instances = new HashSet<>();
    for (int i = 0; i < 6; i++) {
      instances.add(json(get("/t/")).get("instance").asText());
    }
    assertThat(instances).containsExactlyInAnyOrder("1", "2");
  }

  @Test
  void streamsBodiesBothWays() throws Exception {
    byte[] upload = new byte[3 * 1024 * 1024 + 17];
    HttpResponse<String> sized =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/t/echo"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(upload))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(json(sized).get("body_length").asInt()).isEqualTo(upload.length);

    // No length known up front: the client sends it chunked.
    HttpResponse<String> chunked =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/t/echo"))
                .POST(
                    HttpRequest.BodyPublishers.ofInputStream(
                        () -> new ByteArrayInputStream(upload)))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(json(chunked).get("body_length").asInt()).isEqualTo(upload.length);
    assertThat(json(chunked).get("headers").get("transfer-encoding").asText()).isEqualTo("chunked");

    HttpResponse<String> stream = get("/t/stream?chunks=200");
    assertThat(stream.statusCode()).isEqualTo(200);
    assertThat(stream.body().lines()).hasSize(200).endsWith("chunk 199");
  }

  @Test
  void headAndBodylessResponses() throws Exception {
    HttpResponse<String> head =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/t/"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.body()).isEmpty();
    assertThat(get("/t/status/204").statusCode()).isEqualTo(204);
    assertThat(get("/t/status/304").statusCode()).isEqualTo(304);
    // The connection is still good after them.
    assertThat(get("/t/").statusCode()).isEqualTo(200);
  }

  @Test
  void servesStaticFiles() throws Exception {
    HttpResponse<String> index = get("/static/");
    assertThat(index.statusCode()).isEqualTo(200);
    assertThat(index.headers().firstValue("Content-Type")).contains("text/html; charset=utf-8");
    assertThat(index.body()).contains("berth examples");

    HttpResponse<String> css = get("/static/style.css");
    assertThat(css.headers().firstValue("Content-Type")).contains("text/css; charset=utf-8");
    String lastModified = css.headers().firstValue("Last-Modified").orElseThrow();
    HttpResponse<String> notModified =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/static/style.css"))
                .header("If-Modified-Since", lastModified)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(notModified.statusCode()).isEqualTo(304);

    HttpResponse<String> directory = get("/static");
    assertThat(directory.statusCode()).isEqualTo(301);
    assertThat(directory.headers().firstValue("Location")).contains("/static/");
    assertThat(get("/static/missing.css").statusCode()).isEqualTo(404);
    assertThat(post("/static/style.css", "text/plain", "x").statusCode()).isEqualTo(405);
  }

  @Test
  void staticFilesNeverEscapeTheirRoot() throws Exception {
    assertThat(Curl.get(base + "/static/../../../../etc/passwd", "--path-as-is").status())
        .isEqualTo(400);
    assertThat(Curl.get(base + "/static/%2e%2e/%2e%2e/etc/passwd", "--path-as-is").status())
        .isEqualTo(400);
    assertThat(Curl.get(base + "/static/..%2f..%2fsecret.txt", "--path-as-is").status())
        .isEqualTo(400);
    Curl.Response link = Curl.get(base + "/static/leak.txt");
    assertThat(link.status()).isEqualTo(403);
    assertThat(link.body()).doesNotContain("not for you");
  }

  @Test
  void routesByHostFirstThenPath() throws Exception {
    Curl.Response docs = Curl.get(base + "/docs/readme.txt", "-H", "Host: files.example.test");
    assertThat(docs.status()).isEqualTo(200);
    assertThat(docs.body()).isEqualTo("docs for files.example.test\n");

    // That host has routes, none for "/": berth's own 404, not the default host's app.
    Curl.Response none = Curl.get(base + "/", "-H", "Host: FILES.example.test:" + port);
    assertThat(none.status()).isEqualTo(404);
    assertThat(none.body()).contains("No route matches");

    Curl.Response wild = Curl.get(base + "/echo", "-H", "Host: tenant.wild.test");
    assertThat(JSON.readTree(wild.body()).get("headers").get("host").asText())
        .isEqualTo("tenant.wild.test");

    assertThat(
            JSON.readTree(Curl.get(base + "/", "-H", "Host: elsewhere.test").body())
                .get("service")
                .asText())
        .isEqualTo("onboarding");
  }

  @Test
  void appWithNoReadyInstanceGets502() throws Exception {
    HttpResponse<String> response = get("/never/anything");
    assertThat(response.statusCode()).isEqualTo(502);
    assertThat(response.body()).contains("502 Bad Gateway").contains("never");

    HttpResponse<String> json =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/never/api"))
                .header("Accept", "application/json")
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(json.headers().firstValue("Content-Type")).contains("application/json");
    assertThat(JSON.readTree(json.body()).get("status").asInt()).isEqualTo(502);
    assertThat(JSON.readTree(json.body()).get("detail").asText())
        .isEqualTo("No instance of app \"never\" is ready.");
  }

  @Test
  void reportsAppsThatFailToStart() {
    assertThat(berth.output())
        .contains("berth: app onboarding: ready, 1/1")
        .contains("berth: app testapp: ready, 2/2")
        .contains("berth: app never: FAILED, 0/1")
        .contains("berth: app failing: FAILED, 0/1")
        .contains("failing.1: exited with code 3 before it was ready")
        .contains("boom at import")
        .contains("berth: serving on http://127.0.0.1:" + port);
  }

  @Test
  void requestsAreInTheAccessLogAndSigusr1ReopensIt() throws Exception {
    Path log = tmp.resolve("state/log/access.log");
    HttpResponse<byte[]> answered =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/activities/3?from=log"))
                .header("User-Agent", "log-test")
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    String line = awaitLogLine(log, "/activities/3?from=log");
    assertThat(line)
        .matches(
            "127\\.0\\.0\\.1 - - \\[[^]]+\\] \"GET /activities/3\\?from=log HTTP/1\\.1\" 200 "
                + answered.body().length
                + " \"-\" \"log-test\""
                + " \"unix:[^\"]+onboarding-1\\.[01]\\.sock\" \\d+\\.\\d{3} \\d+\\.\\d{3}");
    get("/static/missing.css?from=log");
    assertThat(awaitLogLine(log, "/static/missing.css?from=log"))
        .contains("\" 404 ")
        .contains("\"-\" - ");

    // As logrotate does: move the file away, then signal.
    Files.move(log, tmp.resolve("state/log/access.log.1"));
    new ProcessBuilder("kill", "-USR1", Long.toString(berth.pid())).start().waitFor();
    // The signal is handled asynchronously: a request logged before the reopen goes to the old
    // file.
    Await.until("berth reopened " + log, () -> Files.exists(log));
    get("/activities/1?from=rotated");
    assertThat(awaitLogLine(log, "/activities/1?from=rotated")).contains("\" 200 ");
    assertThat(Files.readString(tmp.resolve("state/log/access.log.1")))
        .contains("/activities/3?from=log");
  }

  private static String awaitLogLine(Path log, String text) {
    return Await.present(
        text + " in " + log,
        () ->
            Files.exists(log)
                ? Files.readAllLines(log).stream().filter(line -> line.contains(text)).findFirst()
                : java.util.Optional.<String>empty());
  }

  @Test
  void bodilessAnswersKeepTheConnection() throws Exception {
    String lastModified =
        get("/static/style.css").headers().firstValue("Last-Modified").orElseThrow();
    String answers =
        raw(
            "GET /static/style.css HTTP/1.1\r\nHost: x\r\nIf-Modified-Since: "
                + lastModified
                + "\r\n\r\n"
                + "HEAD /t/ HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /t/status/204 HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /static/style.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assertThat(answers.split("HTTP/1.1 ", -1)).hasSize(5);
    assertThat(answers).contains("HTTP/1.1 304 ").contains("HTTP/1.1 204 ").endsWith("}\n");
    assertThat(answers.indexOf("onnection: close"))
        .isEqualTo(answers.lastIndexOf("onnection: close"));

    // HTTP/1.0 keep-alive is answered in kind.
    String http10 =
        raw(
            "GET /static/style.css HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /static/style.css HTTP/1.0\r\n\r\n");
    assertThat(http10.split("HTTP/1.1 200 ", -1)).hasSize(3);
    assertThat(http10.toLowerCase(java.util.Locale.ROOT)).contains("connection: keep-alive");
  }

  @Test
  void malformedRequestsGet400AndTheConnectionCloses() throws Exception {
    assertThat(raw("GET / HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n"))
        .startsWith("HTTP/1.1 400");
    assertThat(raw("GET / HTTP/1.1\r\n\r\n")).startsWith("HTTP/1.1 400");
    assertThat(raw("GET /" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: x\r\n\r\n"))
        .startsWith("HTTP/1.1 414");
    assertThat(raw("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(10_000) + "\r\n\r\n"))
        .startsWith("HTTP/1.1 431");
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
}
