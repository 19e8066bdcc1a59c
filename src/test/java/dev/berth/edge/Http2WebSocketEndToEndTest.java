package dev.berth.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.testing.Await;
import dev.berth.testing.BerthProcess;
import dev.berth.testing.Cli;
import dev.berth.testing.Exec;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * WebSocket over HTTP/2 (RFC 8441) through a real berth: an h2c listener, Debian's
 * python3-websockets echo server as the app (testapp/wsapp.py, which speaks HTTP/1.1 only), and a
 * raw python3-h2 client that sends the extended CONNECT and WebSocket frames in DATA
 * (src/test/resources/h2websocket.py).
 */
class Http2WebSocketEndToEndTest {

  private static final String SCRIPT =
      BerthProcess.repo().resolve("src/test/resources/h2websocket.py").toString();
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A route that a reload removes. */
  private static final String GONE_LATER =
      """

      [[routes]]
      path = "/gone"
      app = "ws"
      """;

  @TempDir static Path tmp;
  private static BerthProcess berth;
  private static int port;

  @BeforeAll
  static void start() throws Exception {
    berth =
        BerthProcess.upOnFreePort(
            p -> {
              port = p;
              return BerthProcess.write(
                  tmp.resolve("berth.toml"),
                  """
                  state_dir = "%1$s/state"
                  shutdown_timeout = "5s"

                  [access_log]
                  path = "%1$s/access.log"

                  [[listeners]]
                  address = "127.0.0.1:%2$d"
                  http2_cleartext = true

                  [apps.ws]
                  user = "root"
                  dir = "%3$s"
                  command = "/usr/bin/python3 wsapp.py"
                  start_timeout = "20s"
                  stop_timeout = "2s"

                  [[routes]]
                  path = "/ws"
                  app = "ws"

                  [[routes]]
                  path = "/plain"
                  app = "ws"
                  upgrades = []
                  """
                          .formatted(tmp, p, BerthProcess.testApp())
                      + GONE_LATER);
            });
  }

  @AfterAll
  static void stop() {
    if (berth != null) {
      berth.close();
    }
  }

  @Test
  void messagesGoBothWaysOverAnExtendedConnectStream() throws Exception {
    JsonNode result = run("/ws/echo", "hello", "x*200000", "bye");
    assertThat(result.path("connect_protocol").asBoolean()).isTrue();
    assertThat(result.path("status").asInt()).as(result.toString()).isEqualTo(200);
    assertThat(result.path("echoes").toString()).isEqualTo("[\"hello\",\"200000 chars\",\"bye\"]");
    // The app answered the client's close frame with its own, and the stream ended cleanly.
    assertThat(result.path("close").asInt()).isEqualTo(1000);
    assertThat(result.path("ended").asBoolean()).as(result.toString()).isTrue();
    // One access log line per tunnel, once it closed: the GET it was routed as, and the 200.
    Path log = tmp.resolve("access.log");
    String line =
        Await.value(
            "the access log line",
            () ->
                Files.exists(log)
                    ? Files.readAllLines(log).stream()
                        .filter(l -> l.contains("/ws/echo"))
                        .findFirst()
                        .orElse("")
                    : "",
            l -> !l.isEmpty());
    assertThat(line).contains("\"GET /ws/echo HTTP/2.0\" 200 ");
  }

  @Test
  void aRouteWithoutUpgradesRefusesTheExtendedConnect() throws Exception {
    JsonNode result = run("/plain/echo", "hello");
    assertThat(result.path("status").asInt()).isEqualTo(400);
    assertThat(result.path("echoes")).isEmpty();
  }

  @Test
  void aReloadThatRemovesItsRouteMakesTheWebSocketGoAwayWith1001() throws Exception {
    Path config = tmp.resolve("berth.toml");
    ProcessBuilder builder =
        new ProcessBuilder(
                "/usr/bin/python3", SCRIPT, "127.0.0.1", "" + port, "/gone/echo", "hi", "--hold")
            .redirectErrorStream(true);
    Process client = builder.start();
    try (BufferedReader out =
        new BufferedReader(
            new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8))) {
      assertThat(out.readLine()).isEqualTo("{\"open\": true}");
      String text = Files.readString(config);
      Files.writeString(config, text.replace(GONE_LATER, ""));
      Cli reload = Cli.run(config, "reload");
      assertThat(reload.exit()).as(reload.err()).isZero();
      JsonNode result = JSON.readTree(out.readLine());
      assertThat(result.path("echoes").toString()).isEqualTo("[\"hi\"]");
      assertThat(result.path("close").asInt()).as(result.toString()).isEqualTo(1001);
      assertThat(client.waitFor(30, TimeUnit.SECONDS)).isTrue();
    } finally {
      client.destroyForcibly();
    }
  }

  private static JsonNode run(String path, String... messages) throws Exception {
    List<String> command =
        new ArrayList<>(List.of("/usr/bin/python3", SCRIPT, "127.0.0.1", "" + port, path));
    command.addAll(List.of(messages));
    Exec exec = Exec.run(BerthProcess.repo(), Map.of(), Duration.ofSeconds(60), command);
    assertThat(exec.exit()).as(exec.output()).isZero();
    String[] lines = exec.output().strip().split("\n");
    return JSON.readTree(lines[lines.length - 1]);
  }
}
