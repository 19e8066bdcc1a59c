package dev.berth.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.accesslog.AccessLog;
import dev.berth.config.AccessLogSpec;
import dev.berth.config.ConfigLoader;
import dev.berth.config.EdgeSettings;
import dev.berth.config.Listener;
import dev.berth.config.Route;
import dev.berth.config.RouteAccess;
import dev.berth.config.RouteLimits;
import dev.berth.config.UnixSocket;
import dev.berth.routing.RouteTable;
import dev.berth.routing.Router;
import dev.berth.testing.Await;
import dev.berth.transport.Transport;
import dev.berth.upstream.AppBackend;
import dev.berth.upstream.Backends;
import dev.berth.upstream.DrainWatch;
import dev.berth.upstream.Peer;
import dev.berth.upstream.RequestOutcome;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a drain learns of each request in flight through a watched instance, told by the exchange
 * where it ends: a real edge in this JVM, proxying over unix sockets to an "app" the test plays by
 * hand (answers, stops mid-response, closes before answering), and clients that may leave.
 */
@Timeout(30)
class DrainOutcomeTest {

  private static final AccessLogSpec OFF =
      new AccessLogSpec(false, Path.of("/dev/null"), AccessLogSpec.Format.COMBINED);

  @TempDir Path dir;
  private EventLoopGroup group;
  private AccessLog accessLog;
  private Edge edge;
  private ServerSocketChannel app;
  private Path edgeSocket;
  private DrainWatch watch;

  @BeforeEach
  void setUp() throws Exception {
    Path appSocket = dir.resolve("app.sock");
    edgeSocket = dir.resolve("edge.sock");
    Path config = dir.resolve("berth.toml");
    Files.writeString(
        config,
        """
        [[listeners]]
        address = "127.0.0.1:8080"

        [apps.shop]
        upstreams = ["unix:%s"]
        """
            .formatted(appSocket));
    Transport transport = Transport.of(EdgeSettings.IoTransport.NIO);
    group = transport.newEventLoopGroup(1, "drain-test");
    accessLog = new AccessLog(new PrintStream(OutputStream.nullOutputStream()));
    Backends backends = new Backends();
    AppBackend backend = backends.define(ConfigLoader.load(config).apps().get("shop"));
    Route route =
        new Route(
            "",
            "/",
            new Route.AppTarget("shop"),
            false,
            RouteLimits.standard(),
            OFF,
            RouteAccess.NONE,
            1,
            "");
    edge =
        new Edge(
            transport,
            group,
            EdgeSettings.standard(),
            new Router(RouteTable.of(List.of(route))),
            backends,
            accessLog,
            r -> OFF);
    edge.bind(Listener.unix(new UnixSocket(edgeSocket)));
    app = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    app.bind(UnixDomainSocketAddress.of(appSocket));
    Peer peer = backend.add(transport.unixAddress(appSocket));
    // The drain begins: from here on the peer tells how its requests end.
    watch = peer.watch();
  }

  @AfterEach
  void tearDown() throws Exception {
    app.close();
    edge.drain(Duration.ZERO);
    accessLog.close();
    group.shutdownGracefully(0, 0, TimeUnit.SECONDS).awaitUninterruptibly();
  }

  @Test
  void aResponseThatEndsIsFinishedWithItsStatusAndThePathHasNoQuery() throws Exception {
    try (SocketChannel client = client("GET /slow?token=s3cret HTTP/1.1\r\nHost: x\r\n\r\n");
        SocketChannel conn = app.accept()) {
      assertThat(head(conn)).startsWith("GET /slow?token=s3cret ");
      write(conn, "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok");

      RequestOutcome outcome = ended();
      assertThat(outcome.request()).isEqualTo("GET /slow");
      assertThat(outcome.outcome()).isEqualTo("finished 201");
      assertThat(outcome.why()).isNull();
      assertThat(outcome.took()).isNotNull();
      assertThat(head(client)).startsWith("HTTP/1.1 201 ");
    }
  }

  @Test
  void anAppThatClosesMidResponseCutsItAndTheClientGotPartOfIt() throws Exception {
    try (SocketChannel client = client("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
        SocketChannel conn = app.accept()) {
      head(conn);
      write(conn, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npart");
      conn.close();

      RequestOutcome outcome = ended();
      assertThat(outcome.outcome()).isEqualTo("cut mid-response, the client got part of a 200");
      assertThat(outcome.why()).isEqualTo("the app closed the connection");
      assertThat(outcome.cutByApp()).isTrue();
    }
  }

  @Test
  void anAppThatClosesBeforeAnsweringAPostLeavesTheClientA502() throws Exception {
    try (SocketChannel client =
            client("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
        SocketChannel conn = app.accept()) {
      head(conn);
      // The body read, so that the close is a clean one (unread bytes would make it a reset).
      conn.read(ByteBuffer.allocate(3));
      conn.close();

      RequestOutcome outcome = ended();
      assertThat(outcome.request()).isEqualTo("POST /upload");
      assertThat(outcome.outcome()).isEqualTo("cut before answering, the client got 502");
      assertThat(outcome.why()).isEqualTo("the app closed the connection");
      assertThat(head(client)).startsWith("HTTP/1.1 502 ");
    }
  }

  @Test
  void aClientThatLeavesEndsItsRequest() throws Exception {
    SocketChannel client = client("GET /wait HTTP/1.1\r\nHost: x\r\n\r\n");
    try (SocketChannel conn = app.accept()) {
      head(conn);
      client.close();

      RequestOutcome outcome = ended();
      assertThat(outcome.outcome()).isEqualTo("ended by the client (its connection closed)");
      assertThat(outcome.cutByApp()).isFalse();
    }
  }

  /** The one request's outcome, once its exchange has ended. */
  private RequestOutcome ended() {
    List<RequestOutcome> seen = new ArrayList<>();
    Await.until(
        "the request's end",
        () -> {
          seen.addAll(watch.take().listed());
          return !seen.isEmpty();
        });
    assertThat(seen).hasSize(1);
    return seen.get(0);
  }

  private SocketChannel client(String request) throws IOException {
    SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(edgeSocket));
    write(client, request);
    return client;
  }

  private static void write(SocketChannel channel, String bytes) throws IOException {
    ByteBuffer buffer = ByteBuffer.wrap(bytes.getBytes(StandardCharsets.ISO_8859_1));
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
  }

  /** Reads up to the end of a message head. */
  private static String head(SocketChannel channel) throws IOException {
    StringBuilder text = new StringBuilder();
    ByteBuffer buffer = ByteBuffer.allocate(1);
    while (!text.toString().endsWith("\r\n\r\n") && channel.read(buffer.clear()) > 0) {
      text.append((char) buffer.get(0));
    }
    return text.toString();
  }
}
