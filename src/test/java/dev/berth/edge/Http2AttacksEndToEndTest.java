package dev.berth.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.testing.BerthProcess;
import dev.berth.testing.Exec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Each attack of issue 24, by a raw HTTP/2 client in Python (python3-h2's hpack, frames written by
 * hand: src/test/resources/h2attacks.py), against a real berth (an h2c listener, one app): the
 * GOAWAY (or RST_STREAM) it answers with, and then a request by python3-h2 on another connection,
 * which the app answers.
 */
class Http2AttacksEndToEndTest {

  /** A plain HTTP server: "ok" at /, 200 KB at /big (more than a connection's first window). */
  private static final String APP =
      """
      import os
      from http.server import BaseHTTPRequestHandler, HTTPServer

      class Handler(BaseHTTPRequestHandler):
          protocol_version = "HTTP/1.1"

          def do_GET(self):
              body = b"x" * 200000 if self.path == "/big" else b"ok\\n"
              self.send_response(200)
              self.send_header("Content-Length", str(len(body)))
              self.end_headers()
              self.wfile.write(body)

          def log_message(self, *args):
              pass

      HTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
      """;

  private static final String SCRIPT =
      BerthProcess.repo().resolve("src/test/resources/h2attacks.py").toString();
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path tmp;
  private static BerthProcess berth;
  private static int port;

  @BeforeAll
  static void start() throws Exception {
    Path app = Files.createDirectories(tmp.resolve("app"));
    Files.writeString(app.resolve("app.py"), APP);
    berth =
        BerthProcess.upOnFreePort(
            p -> {
              port = p;
              return BerthProcess.write(
                  tmp.resolve("berth.toml"),
                  """
                  state_dir = "%1$s/state"
                  shutdown_timeout = "5s"

                  [edge]
                  http2_idle_timeout = "2s"
                  http2_send_timeout = "2s"

                  [[listeners]]
                  address = "127.0.0.1:%2$d"
                  http2_cleartext = true

                  [apps.plain]
                  user = "root"
                  dir = "%3$s"
                  command = "/usr/bin/python3 app.py"
                  socket = "tcp"

                  [[routes]]
                  path = "/"
                  app = "plain"
                  """
                      .formatted(tmp, p, app));
            });
  }

  @AfterAll
  static void stop() throws Exception {
    if (berth != null) {
      assertThat(berth.terminate(Duration.ofSeconds(30))).isZero();
      berth.close();
    }
  }

  /** Expected: the GOAWAY's error code, or for a stream reset "stream=code". */
  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "rapid_reset, 11",
    "continuation_small, 11",
    "continuation_large, 1",
    "hpack_bomb, 11",
    "ping_flood, 11",
    "settings_flood, 11",
    "even_stream, 1",
    "data_idle_stream, 1",
    "stalled_stream, 1=8",
    "stalled_connection, 11",
    "idle, 0",
  })
  void attackIsRefusedAndOthersAreServed(String attack, String expected) throws Exception {
    JsonNode result = run(attack, "/big");
    if (expected.contains("=")) {
      String[] reset = expected.split("=");
      assertThat(result.path("resets").path(reset[0]).asInt(-1))
          .as("%s", result)
          .isEqualTo(Integer.parseInt(reset[1]));
    } else {
      assertThat(result.path("goaway").asInt(-1))
          .as("%s", result)
          .isEqualTo(Integer.parseInt(expected));
    }
    if (attack.equals("hpack_bomb")) {
      assertThat(result.path("statuses").path("1").asInt()).as("%s", result).isEqualTo(431);
    }
    JsonNode get = run("get", "/");
    assertThat(get.path("status").asInt()).as("%s", get).isEqualTo(200);
  }

  private static JsonNode run(String attack, String path) throws Exception {
    Exec exec =
        Exec.run(
            BerthProcess.repo(),
            Map.of(),
            Duration.ofSeconds(60),
            List.of("/usr/bin/python3", SCRIPT, "127.0.0.1", "" + port, attack, path));
    assertThat(exec.exit()).as(exec.output()).isZero();
    String[] lines = exec.output().strip().split("\n");
    return JSON.readTree(lines[lines.length - 1]);
  }
}
