package dev.berth.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.testing.Await;
import dev.berth.testing.BerthProcess;
import dev.berth.testing.Cli;
import dev.berth.testing.Curl;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real berth on a unix-socket listener, as behind a front server on a shared host: curl
 * --unix-socket reaches an app and a static file through it, the file has its mode and group, a
 * second berth on the path is refused while a stale file is replaced, the access log shows the
 * forwarded client once "unix:" is trusted (and "unix:" before), and SIGTERM removes the file.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class UnixListenerEndToEndTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private Path tmp;
  private Path config;
  private Path socket;
  private Path accessLog;
  private BerthProcess berth;
  private int port;

  @BeforeAll
  void startBerth(@TempDir Path tmp) throws Exception {
    this.tmp = tmp;
    socket = Files.createDirectories(tmp.resolve("front")).resolve("berth.sock");
    accessLog = tmp.resolve("access.log");
    Path site = Files.createDirectories(tmp.resolve("site"));
    Files.writeString(site.resolve("hello.txt"), "hello over a unix socket\n".repeat(1000));
    config = tmp.resolve("berth.toml");
    berth =
        BerthProcess.upOnFreePort(
            free -> {
              port = free;
              write(List.of(), "");
              return config;
            });
  }

  /** The config, with these trusted_proxies and more [[listeners]] tables. */
  private void write(List<String> trusted, String moreListeners) throws Exception {
    BerthProcess.write(
        config,
        """
        state_dir = "%1$s/state"
        shutdown_timeout = "5s"

        [edge]
        trusted_proxies = [%2$s]

        [access_log]
        path = "%1$s/access.log"

        [[listeners]]
        address = "unix:%3$s"
        socket_group = "daemon"
        http2_cleartext = true

        [[listeners]]
        address = "127.0.0.1:%6$d"
        %4$s

        [apps.web]
        user = "root"
        dir = "%5$s"
        command = "gunicorn --workers 1 --threads 4 wsgi:app"

        [[routes]]
        path = "/"
        app = "web"

        [[routes]]
        path = "/files"
        static = "site"
        """
            .formatted(
                tmp,
                String.join(", ", trusted.stream().map(t -> "\"" + t + "\"").toList()),
                socket,
                moreListeners,
                BerthProcess.testApp(),
                port));
  }

  @AfterAll
  void stopBerth() {
    if (berth != null) {
      berth.close();
    }
  }

  @Test
  @Order(1)
  void theSocketServesTheAppAndFilesWithItsModeAndGroup() throws Exception {
    assertThat(berth.output()).contains("berth: serving on unix:" + socket + " (");
    PosixFileAttributes file =
        Files.readAttributes(socket, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    assertThat(PosixFilePermissions.toString(file.permissions())).isEqualTo("rw-rw----");
    assertThat(file.group().getName()).isEqualTo("daemon");

    Curl.Response echo = get("/echo");
    assertThat(echo.status()).isEqualTo(200);
    assertThat(echo.header("Server")).isEqualTo("berth");
    Curl.Response hello = get("/files/hello.txt");
    assertThat(hello.status()).isEqualTo(200);
    assertThat(hello.body()).isEqualTo("hello over a unix socket\n".repeat(1000));
  }

  @Test
  @Order(2)
  void aSecondBerthOnThePathIsRefusedAndTheFirstServesOn() throws Exception {
    Path other = tmp.resolve("other.toml");
    BerthProcess.write(
        other,
        """
        state_dir = "%s/other-state"

        [[listeners]]
        address = "unix:%s"
        """
            .formatted(tmp, socket));
    try (BerthProcess second = BerthProcess.start("up", "--config", other.toString())) {
      assertThat(second.waitFor(Duration.ofSeconds(60))).isNotZero();
      assertThat(second.output())
          .contains(
              "other.toml:4: listeners[0].address: unix:"
                  + socket
                  + " is already in use (a process accepts connections on it)");
    }
    assertThat(socket).exists();
    assertThat(get("/echo").status()).isEqualTo(200);
  }

  @Test
  @Order(3)
  void withoutUnixTrustedTheClientIsUnixAndItsForwardedFieldsAreDropped() throws Exception {
    JsonNode echo =
        JSON.readTree(get("/echo?untrusted", "-H", "X-Forwarded-For: 192.0.2.7").body());

    assertThat(echo.path("headers").has("x-forwarded-for")).isFalse();
    assertThat(logLine("/echo?untrusted")).startsWith("unix: - - [");
    // Nor is a TCP peer trusted that is not listed: the log has the peer, the app berth's chain.
    echo =
        JSON.readTree(
            Curl.get(
                    "http://127.0.0.1:" + port + "/echo?tcp-untrusted",
                    "-H",
                    "X-Forwarded-For: 192.0.2.7")
                .body());
    assertThat(echo.path("headers").path("x-forwarded-for").asText()).isEqualTo("127.0.0.1");
    assertThat(logLine("/echo?tcp-untrusted")).startsWith("127.0.0.1 - - [");
  }

  @Test
  @Order(4)
  void withUnixTrustedTheLogShowsTheForwardedClientAndAReloadAddsAListenerOverAStaleFile()
      throws Exception {
    Path stale = tmp.resolve("front/stale.sock");
    try (ServerSocketChannel killed = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      killed.bind(UnixDomainSocketAddress.of(stale));
    }
    assertThat(stale).exists();
    write(List.of("127.0.0.1", "unix:"), "\n[[listeners]]\naddress = \"unix:" + stale + "\"\n");
    Cli reload = Cli.run(config, "reload");
    assertThat(reload.exit()).as(reload.err()).isZero();
    assertThat(reload.out()).contains("listener + unix:" + stale);

    // Apache on 127.0.0.1 in front of a proxy the client went through: its chain, as it came.
    JsonNode echo =
        JSON.readTree(
            get("/echo?trusted", "-H", "X-Forwarded-For: 192.0.2.7, 198.51.100.1, 127.0.0.1")
                .body());
    assertThat(echo.path("headers").path("x-forwarded-for").asText())
        .isEqualTo("192.0.2.7, 198.51.100.1, 127.0.0.1");
    assertThat(logLine("/echo?trusted")).startsWith("198.51.100.1 - - [");
    // No chain: nobody to tell.
    get("/echo?nochain");
    assertThat(logLine("/echo?nochain")).startsWith("unix: - - [");
    // HTTP/2 (h2c) on the socket: the same client.
    Curl.Response h2 =
        get("/echo?h2", "--http2-prior-knowledge", "-H", "X-Forwarded-For: 198.51.100.2");
    assertThat(h2.status()).isEqualTo(200);
    assertThat(logLine("/echo?h2")).startsWith("198.51.100.2 - - [").contains("HTTP/2.0");
    // Apache on 127.0.0.1 over TCP: its address goes on the chain, the client is the one before.
    echo =
        JSON.readTree(
            Curl.get(
                    "http://127.0.0.1:" + port + "/echo?tcp-trusted",
                    "-H",
                    "X-Forwarded-For: 192.0.2.7, 198.51.100.1")
                .body());
    assertThat(echo.path("headers").path("x-forwarded-for").asText())
        .isEqualTo("192.0.2.7, 198.51.100.1, 127.0.0.1");
    assertThat(logLine("/echo?tcp-trusted")).startsWith("198.51.100.1 - - [");

    Curl.Response onStale = Curl.get("http://x/echo", "--unix-socket", stale.toString());
    assertThat(onStale.status()).isEqualTo(200);
    write(List.of("127.0.0.1", "unix:"), "");
    reload = Cli.run(config, "reload");
    assertThat(reload.exit()).as(reload.err()).isZero();
    assertThat(stale).doesNotExist();
  }

  @Test
  @Order(5)
  void sigtermRemovesTheSocketFile() throws Exception {
    assertThat(berth.terminate(Duration.ofSeconds(30))).isZero();
    assertThat(socket).doesNotExist();
    try (var left = Files.list(socket.getParent())) {
      assertThat(left).isEmpty();
    }
  }

  private Curl.Response get(String path, String... args) throws Exception {
    List<String> all = new java.util.ArrayList<>(List.of("--unix-socket", socket.toString()));
    all.addAll(List.of(args));
    return Curl.get("http://app.test" + path, all.toArray(String[]::new));
  }

  /** The access log's line for the request with this target, once it is written. */
  private String logLine(String target) {
    return Await.present(
        "the access log line of " + target,
        () ->
            Files.exists(accessLog)
                ? Files.readAllLines(accessLog).stream()
                    .filter(l -> l.contains("\"GET " + target + " "))
                    .findFirst()
                : java.util.Optional.empty());
  }
}
