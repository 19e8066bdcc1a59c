package dev.berth.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.testing.Await;
import dev.berth.testing.BerthProcess;
import dev.berth.testing.Cli;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * WebSockets and streaming through a real berth: Debian's python3-websockets echo server as an app
 * (testapp/wsapp.py), the JDK's WebSocket client, and an app that sends Server-Sent Events one at a
 * time (testapp/rawserver.py). One berth for the class.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WebSocketEndToEndTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  private Path tmp;
  private int port;
  private Path config;
  private BerthProcess berth;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  void up(@TempDir Path dir) throws Exception {
    tmp = dir;
    berth =
        BerthProcess.upOnFreePort(
            free -> {
              port = free;
              return config =
                  write(
                      apps()
                          + route("/ws", "ws")
                          + route("/ws2", "ws")
                          + route("/", "other")
                          + route("/plain", "ws")
                          + "upgrades = []\n");
            });
  }

  @AfterAll
  void down() {
    if (berth != null) {
      berth.close();
    }
  }

  @Test
  void webSocketEchoesAndSurvivesReloadAndOtherDeploysThenGoesAwayWithItsOwnDeploy()
      throws Exception {
    Client ws = Client.open(http, URI.create("ws://127.0.0.1:" + port + "/ws/echo"));
    Client second = Client.open(http, URI.create("ws://127.0.0.1:" + port + "/ws2/echo"));
    assertThat(ws.ask("hello")).isEqualTo("hello");
    assertThat(ws.ask("x".repeat(200_000))).hasSize(200_000);
    String instance = ws.ask("whoami");
    assertThat(second.ask("second")).isEqualTo("second");
    assertThat(Cli.instance(config, "ws", 1).path("websockets").asInt()).isEqualTo(2);
    // max_tunnels = 2: a third gets a 503.
    assertThatThrownBy(() -> Client.open(http, URI.create("ws://127.0.0.1:" + port + "/ws/x")))
        .cause()
        .isInstanceOfSatisfying(
            WebSocketHandshakeException.class,
            e -> assertThat(e.getResponse().statusCode()).isEqualTo(503));
    Cli table = Cli.run(config, "status");
    assertThat(table.out()).contains("WEBSOCKETS");

    // A reload that changes the config and keeps /ws (it removes /ws2; /ws stays the app's first
    // route, its mount, so the app is not redeployed): the first stays open, the second goes away.
    write(
        apps()
            + route("/ws", "ws")
            + route("/", "other")
            + route("/plain", "ws")
            + "upgrades = []\n"
            + route("/more", "other"));
    Cli reload = Cli.run(config, "reload");
    assertThat(reload.exit()).as(reload.err()).isZero();
    assertThat(second.closeCode()).isEqualTo(1001);
    assertThat(ws.ask("after reload")).isEqualTo("after reload");

    // A deploy of another app.
    Cli other = Cli.run(config, "deploy", "other");
    assertThat(other.exit()).as(other.err() + other.out()).isZero();
    assertThat(ws.ask("after other deploy")).isEqualTo("after other deploy");
    assertThat(ws.ask("whoami")).isEqualTo(instance);

    // A deploy of its own app: the old generation's WebSocket stays until drain_timeout, then the
    // client gets 1001 (before the old process stops: a killed app would have cut it, 1006).
    Cli own = Cli.run(config, "deploy", "ws");
    assertThat(own.exit()).as(own.err() + own.out()).isZero();
    assertThat(own.out())
        .contains("(1 in flight: 1 still running at drain_timeout ")
        .contains(" GET /ws/echo: upgraded connection (WebSocket) closed");
    assertThat(ws.closeCode()).isEqualTo(1001);

    Client fresh = Client.open(http, URI.create("ws://127.0.0.1:" + port + "/ws/echo"));
    assertThat(fresh.ask("whoami")).isNotEqualTo(instance);
    fresh.close();
    Await.until(
        "no WebSocket open", () -> Cli.instance(config, "ws", 1).path("websockets").asInt() == 0);
  }

  @Test
  void serverSentEventsArriveOneByOne() throws Exception {
    Path acks = Files.createDirectories(tmp.resolve("acks"));
    HttpResponse<Stream<String>> response =
        http.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/events/sse?n=4&dir=" + acks))
                .build(),
            HttpResponse.BodyHandlers.ofLines());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("content-type")).hasValue("text/event-stream");
    Iterator<String> lines = response.body().iterator();
    for (int i = 0; i < 4; i++) {
      // The app sends event i only after the ack of event i-1: reading it here means nothing
      // held it back on the way.
      String data = nextData(lines);
      assertThat(data).isEqualTo("data: event " + i);
      Files.createFile(acks.resolve("ack-" + (i + 1)));
    }
    // The stream ends after the last event.
    lines.forEachRemaining(line -> assertThat(line).isEmpty());
  }

  @Test
  void aRouteWithoutUpgradesSendsTheHandshakeAsAPlainRequest() {
    // The app (wsapp.py) answers a request without Upgrade with a plain 200: no switch.
    assertThatThrownBy(() -> Client.open(http, URI.create("ws://127.0.0.1:" + port + "/plain/x")))
        .cause()
        .isInstanceOfSatisfying(
            WebSocketHandshakeException.class,
            e -> assertThat(e.getResponse().statusCode()).isEqualTo(200));
  }

  @Test
  void anUpgradeTheAppDoesNotTakeLeavesTheConnectionForTheRequestsAfterIt() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout((int) WAIT.toMillis());
      // The app (rawserver.py) answers a WebSocket handshake with a plain 200; a pipelined
      // request follows in the same write.
      socket
          .getOutputStream()
          .write(
              ("GET /first HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
                      + "GET /second HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
      String answers =
          new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
      assertThat(answers).contains("GET /first\n", "GET /second\n");
      assertThat(answers.split("HTTP/1.1 200 OK", -1)).hasSize(3);
    }
  }

  private static String nextData(Iterator<String> lines) {
    while (lines.hasNext()) {
      String line = lines.next();
      if (line.startsWith("data:")) {
        return line;
      }
    }
    throw new AssertionError("the stream ended");
  }

  /** A WebSocket client: what it received, and how it was closed. */
  private static final class Client implements WebSocket.Listener {
    private final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
    private final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private final StringBuilder partial = new StringBuilder();
    private WebSocket socket;

    static Client open(HttpClient http, URI uri) throws Exception {
      Client client = new Client();
      client.socket = http.newWebSocketBuilder().buildAsync(uri, client).get(30, TimeUnit.SECONDS);
      return client;
    }

    String ask(String text) throws Exception {
      socket.sendText(text, true).get(30, TimeUnit.SECONDS);
      String answer = messages.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(answer)
          .as("an answer to " + text.substring(0, Math.min(20, text.length())))
          .isNotNull();
      return answer;
    }

    int closeCode() throws Exception {
      return closed.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    void close() throws Exception {
      socket.sendClose(WebSocket.NORMAL_CLOSURE, "").get(30, TimeUnit.SECONDS);
      closeCode();
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        messages.add(partial.toString());
        partial.setLength(0);
      }
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      closed.complete(statusCode);
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      closed.completeExceptionally(error);
    }
  }

  private String apps() {
    return """

        [apps.ws]
        user = "root"
        dir = "%1$s"
        command = "/usr/bin/python3 wsapp.py"
        start_timeout = "20s"
        stop_timeout = "2s"
        drain_timeout = "2s"

        [apps.other]
        user = "root"
        dir = "%1$s"
        command = "/usr/bin/python3 rawserver.py"
        start_timeout = "20s"
        stop_timeout = "2s"
        drain_timeout = "2s"
        """
        .formatted(BerthProcess.testApp());
  }

  private static String route(String path, String app) {
    return """

        [[routes]]
        path = "%s"
        app = "%s"
        """
        .formatted(path, app);
  }

  private Path write(String rest) throws Exception {
    return BerthProcess.write(
        tmp.resolve("berth.toml"),
        """
        state_dir = "%s/state"
        shutdown_timeout = "5s"

        [edge]
        max_tunnels = 2

        [[listeners]]
        address = "127.0.0.1:%d"
        %s"""
            .formatted(tmp, port, rest));
  }
}
