package dev.berth.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.testing.Await;
import dev.berth.testing.BerthProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A request of death: every instance it reaches exits while handling it. With the default {@code
 * retries = 1} it may end two instances of three, never all of them, and the client gets a 502; the
 * access log names both instances it reached, as nginx's {@code $upstream_addr} would.
 */
class RetryEndToEndTest {

  /** A plain HTTP server whose /crash leaves a mark and ends the whole process mid-request. */
  private static final String APP =
      """
      import os
      from http.server import BaseHTTPRequestHandler, HTTPServer

      class Handler(BaseHTTPRequestHandler):
          def do_GET(self):
              if self.path == "/crash":
                  mark = os.path.join(os.environ["CRASH_DIR"], "crashed-%d" % os.getpid())
                  open(mark, "w").close()
                  os._exit(1)
              body = b"ok\\n"
              self.send_response(200)
              self.send_header("Content-Length", str(len(body)))
              self.end_headers()
              self.wfile.write(body)

          def log_message(self, *args):
              pass

      HTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
      """;

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  @Test
  void aRequestOfDeathEndsAtMostTwoInstancesAndGets502(@TempDir Path tmp) throws Exception {
    Path app = Files.createDirectories(tmp.resolve("app"));
    Files.writeString(app.resolve("app.py"), APP);
    Path crashes = Files.createDirectories(tmp.resolve("crashes"));
    Path accessLog = tmp.resolve("access.log");
    try (BerthProcess berth =
        BerthProcess.upOnFreePort(
            port ->
                BerthProcess.write(
                    tmp.resolve("berth.toml"),
                    """
                    state_dir = "%1$s/state"
                    shutdown_timeout = "5s"

                    [access_log]
                    path = "%4$s"

                    [[listeners]]
                    address = "127.0.0.1:%2$d"

                    [apps.fragile]
                    user = "root"
                    dir = "%3$s"
                    command = "/usr/bin/python3 app.py"
                    socket = "tcp"
                    instances = 3
                    env = { CRASH_DIR = "%5$s" }

                    [[routes]]
                    path = "/"
                    app = "fragile"
                    """
                        .formatted(tmp, port, app, accessLog, crashes)))) {
      String base = berth.awaitLine("berth: serving on", Duration.ofSeconds(5));
      String url = base.substring(base.indexOf("http://")).split("[ ,]")[0];

      HttpResponse<String> crash = get(url + "/crash");

      assertThat(crash.statusCode()).isEqualTo(502);
      // Each instance leaves its mark before it exits, and the 502 comes after berth saw the
      // second one gone: every instance this request reached has its mark by now.
      assertThat(marks(crashes)).as("instances the request of death reached").hasSize(2);
      assertThat(get(url + "/ok").statusCode()).as("the third instance serves").isEqualTo(200);

      String line = awaitLine(accessLog, "\"GET /crash HTTP/1.1\" 502");
      Matcher upstream =
          Pattern.compile("\"(127\\.0\\.0\\.1:\\d+), (127\\.0\\.0\\.1:\\d+)\" [0-9.]+ [0-9.]+$")
              .matcher(line);
      assertThat(upstream.find()).as("both instances tried, in the line: %s", line).isTrue();
      assertThat(upstream.group(1)).isNotEqualTo(upstream.group(2));
      assertThat(berth.terminate(Duration.ofSeconds(30))).isZero();
    }
  }

  private HttpResponse<String> get(String url) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static List<Path> marks(Path dir) throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      return files.toList();
    }
  }

  /** The access log's line containing {@code text}: lines reach the file within about 100 ms. */
  private static String awaitLine(Path log, String text) {
    return Await.present(
        "an access log line with " + text + " in " + log,
        () ->
            Files.exists(log)
                ? Files.readAllLines(log).stream().filter(l -> l.contains(text)).findFirst()
                : Optional.<String>empty());
  }
}
