package dev.berth.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.berth.testing.Await;
import dev.berth.testing.BerthProcess;
import dev.berth.testing.Curl;
import dev.berth.testing.HttpConnection;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The same proxying and static serving on each transport {@code [edge] transport} can name, where
 * it loads: the other suites run on whichever {@code "auto"} picks here.
 */
class TransportsEndToEndTest {

  @ParameterizedTest
  @ValueSource(strings = {"io_uring", "epoll", "nio"})
  void proxiesAndServesFilesOn(String transport, @TempDir Path tmp) throws Exception {
    assumeThat(available(transport)).as(transport + " loads here").isTrue();
    Path app = BerthProcess.testApp();
    int upstreamPort = BerthProcess.freePort();
    Path www = Files.createDirectories(tmp.resolve("www"));
    byte[] file = new byte[3 * 1024 * 1024 + 17];
    for (int i = 0; i < file.length; i++) {
      file[i] = (byte) ('a' + i % 26);
    }
    Files.write(www.resolve("big.txt"), file);
    List<Process> servers =
        List.of(
            rawServer(app, tmp.resolve("raw.sock").toString(), tmp.resolve("unix.out")),
            rawServer(app, Integer.toString(upstreamPort), tmp.resolve("tcp.out")));
    try {
      await(tmp.resolve("raw.sock"));
      awaitPort(upstreamPort);
      int port = BerthProcess.freePort();
      String config =
          """
          state_dir = "%1$s/state"

          [edge]
          transport = "%2$s"
          threads = 2

          [[listeners]]
          address = "127.0.0.1:%3$d"

          [apps.unix]
          upstreams = ["unix:%1$s/raw.sock"]

          [apps.tcp]
          upstreams = ["127.0.0.1:%4$d"]

          [[routes]]
          path = "/unix"
          app = "unix"
          strip_prefix = true

          [[routes]]
          path = "/tcp"
          app = "tcp"
          strip_prefix = true

          [[routes]]
          path = "/files"
          static = "%1$s/www"
          """
              .formatted(tmp, transport, port, upstreamPort);
      try (BerthProcess berth =
          BerthProcess.up(BerthProcess.write(tmp.resolve("berth.toml"), config))) {
        assertThat(berth.output()).contains("(" + transport + ", 2 event loops)");
        String base = "http://127.0.0.1:" + port;
        for (String kind : List.of("unix", "tcp")) {
          Curl.Response small = Curl.get(base + "/" + kind + "/conn");
          assertThat(small.status()).isEqualTo(200);
          Curl.Response big = Curl.get(base + "/" + kind + "/big?size=5000000");
          assertThat(big.status()).isEqualTo(200);
          assertThat(big.body()).hasSize(5_000_000);
          // Every piece comes after the proxy has read the socket empty: its read must be woken
          // again each time (on io_uring, a unix socket keeps a receive armed for this).
          // An app answering before the body is in: the answer, then the end of the stream, no
          // reset.
          // (8 MiB: under the default max_body_size, so that the app answers, not berth.)
          String early =
              HttpConnection.answerWhileSending(
                  port,
                  "POST /"
                      + kind
                      + "/early HTTP/1.1\r\nHost: x\r\nContent-Length: "
                      + (8 << 20)
                      + "\r\n\r\n",
                  8 << 20,
                  false);
          assertThat(early).startsWith("HTTP/1.1 413 ").endsWith("too large\n");
          Curl.Response drip = Curl.get(base + "/" + kind + "/drip?pieces=5");
          assertThat(drip.status()).isEqualTo(200);
          assertThat(drip.body()).isEqualTo("piece\n".repeat(5));
          // ... and a pooled connection still reads its next exchange. One client connection
          // keeps to one event loop, so its second request gets the first one's app connection.
          try (HttpClient client =
              HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            HttpRequest conn =
                HttpRequest.newBuilder(URI.create(base + "/" + kind + "/conn"))
                    .timeout(Duration.ofSeconds(30))
                    .build();
            String first = client.send(conn, HttpResponse.BodyHandlers.ofString()).body();
            String second = client.send(conn, HttpResponse.BodyHandlers.ofString()).body();
            // "raw <connection> <requests it served>"
            assertThat(second.split(" ")[1]).isEqualTo(first.split(" ")[1]);
            assertThat(second.split(" ")[2].trim()).isNotEqualTo(first.split(" ")[2].trim());
            // A body sent faster than the client takes it (by sendfile, as nginx serves a file)
            // may end while the proxy has stopped reading the app: that pooled connection must
            // read again for the next exchange.
            for (int i = 0; i < 3; i++) {
              HttpRequest sendfile =
                  HttpRequest.newBuilder(
                          URI.create(base + "/" + kind + "/bigfile?size=" + (16 << 20)))
                      .timeout(Duration.ofSeconds(30))
                      .build();
              assertThat(client.send(sendfile, HttpResponse.BodyHandlers.ofByteArray()).body())
                  .hasSize(16 << 20);
              assertThat(client.send(conn, HttpResponse.BodyHandlers.ofString()).statusCode())
                  .isEqualTo(200);
            }
            // A body that ends when the app closes, its last bytes and its close sent together:
            // the proxy must read on to the end of the stream (rechunked for the client) however
            // the two arrive, so a few times over.
            HttpRequest closing =
                HttpRequest.newBuilder(URI.create(base + "/" + kind + "/nolength"))
                    .timeout(Duration.ofSeconds(30))
                    .build();
            for (int i = 0; i < 10; i++) {
              HttpResponse<String> response =
                  client.send(closing, HttpResponse.BodyHandlers.ofString());
              assertThat(response.statusCode()).isEqualTo(200);
              assertThat(response.body()).isEqualTo("until the end\n");
            }
          }
        }
        // A file over plain HTTP goes out zero-copy: a FileRegion, which each transport writes its
        // own way.
        Curl.Response served = Curl.get(base + "/files/big.txt", "-H", "Accept-Encoding: identity");
        assertThat(served.status()).isEqualTo(200);
        assertThat(served.body())
            .isEqualTo(new String(file, java.nio.charset.StandardCharsets.ISO_8859_1));
      }
    } finally {
      for (Process server : servers) {
        server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void aNamedTransportThatDoesNotLoadStopsTheStartAndAutoFallsBack(@TempDir Path tmp)
      throws Exception {
    // Netty's switch for turning its native transports off stands in for a kernel without them.
    List<String> noNative = List.of("-Xmx256m", "-Dio.netty.transport.noNative=true");
    int port = BerthProcess.freePort();
    String config =
        """
        state_dir = "%s/state"

        [edge]
        transport = "%s"

        [[listeners]]
        address = "127.0.0.1:%d"
        """;
    Path named =
        BerthProcess.write(tmp.resolve("named.toml"), config.formatted(tmp, "io_uring", port));
    try (BerthProcess berth = BerthProcess.start(noNative, "up", "--config", named.toString())) {
      assertThat(berth.waitFor(Duration.ofSeconds(60))).isEqualTo(1);
      assertThat(berth.output())
          .contains(
              "berth: " + named + ": [edge] transport = \"io_uring\" is not available here: ");
    }
    assertThat(tmp.resolve("state")).doesNotExist();

    Path auto = BerthProcess.write(tmp.resolve("auto.toml"), config.formatted(tmp, "auto", port));
    try (BerthProcess berth = BerthProcess.up(auto, noNative)) {
      assertThat(berth.output()).contains("(nio, ");
    }
  }

  private static boolean available(String transport) {
    return switch (transport) {
      case "io_uring" -> IoUring.isAvailable();
      case "epoll" -> Epoll.isAvailable();
      default -> true;
    };
  }

  private static Process rawServer(Path app, String where, Path out) throws Exception {
    return new ProcessBuilder("/usr/bin/python3", app.resolve("rawserver.py").toString(), where)
        .redirectErrorStream(true)
        .redirectOutput(out.toFile())
        .start();
  }

  private static void awaitPort(int port) {
    Await.until(
        "a server listening on port " + port,
        () -> {
          try (java.net.Socket probe = new java.net.Socket("127.0.0.1", port)) {
            return true;
          }
        });
  }

  private static void await(Path socket) {
    Await.until(socket + " exists", () -> Files.exists(socket));
  }
}
