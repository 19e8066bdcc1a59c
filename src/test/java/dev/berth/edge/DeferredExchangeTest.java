package dev.berth.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.access.Gate;
import dev.berth.accesslog.AccessLog;
import dev.berth.config.AccessLogSpec;
import dev.berth.config.EdgeSettings;
import dev.berth.config.Route;
import dev.berth.config.RouteAccess;
import dev.berth.config.RouteLimits;
import dev.berth.routing.RouteTable;
import dev.berth.routing.Router;
import dev.berth.transport.Transport;
import dev.berth.upstream.Backends;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A request whose password is being checked, on Netty's EmbeddedChannel: the body and the requests
 * pipelined behind it wait, in order, and a client that leaves meanwhile leaves nothing behind.
 */
class DeferredExchangeTest {

  private static final String HASH =
      OpenBSDBCrypt.generate("2y", "pw".toCharArray(), new byte[16], 4);

  @TempDir Path site;
  private final DefaultEventLoopGroup unused = new DefaultEventLoopGroup(1);
  private AccessLog accessLog;
  private Edge edge;

  /** Password checks, run by the test on its own thread: EmbeddedChannel's loop is the test's. */
  private final java.util.ArrayDeque<Runnable> checks = new java.util.ArrayDeque<>();

  @BeforeEach
  void setUp() throws Exception {
    Files.writeString(site.resolve("index.html"), "hello");
    AccessLogSpec off =
        new AccessLogSpec(false, Path.of("/dev/null"), AccessLogSpec.Format.COMBINED);
    RouteAccess auth =
        new RouteAccess(
            new RouteAccess.BasicAuth(site.resolve("users"), "r", Map.of("u", HASH)),
            List.of(),
            List.of(),
            null,
            Map.of());
    Route route =
        new Route(
            "",
            "/",
            new Route.StaticTarget(site.toRealPath(), "", false, false),
            false,
            RouteLimits.standard(),
            off,
            auth,
            1,
            "");
    accessLog = new AccessLog(new PrintStream(OutputStream.nullOutputStream()));
    edge =
        new Edge(
            Transport.of(EdgeSettings.IoTransport.NIO),
            unused,
            EdgeSettings.standard(),
            new Router(RouteTable.of(List.of(route))),
            new Backends(),
            accessLog,
            r -> off);
    edge.gate(new Gate(System::nanoTime, checks::add));
  }

  /** Runs the password checks asked, and what each gave the event loop, until none is left. */
  private void check(EmbeddedChannel client) {
    // A verdict may start the next pipelined request, and that its own check.
    while (!checks.isEmpty()) {
      checks.poll().run();
      client.runPendingTasks();
    }
  }

  @AfterEach
  void tearDown() {
    accessLog.close();
    unused.shutdownGracefully(0, 0, TimeUnit.SECONDS);
  }

  private static String basic(String password) {
    return Base64.getEncoder().encodeToString(("u:" + password).getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void theBodyAndThePipelinedRequestsWaitForTheVerdictInOrder() {
    EmbeddedChannel client = new EmbeddedChannel();
    edge.serve(client.pipeline());
    send(
        client,
        "POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Basic "
            + basic("pw")
            + "\r\nContent-Length: 5\r\n\r\nhello"
            + "GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Basic "
            + basic("wrong")
            + "\r\n\r\n");
    assertThat(client.config().isAutoRead()).isFalse();

    assertThat(written(client)).isEmpty();
    check(client);
    String out = written(client);
    assertThat(out).startsWith("HTTP/1.1 405 ");
    assertThat(out.indexOf("HTTP/1.1 401 ")).isGreaterThan(0);
    assertThat(out).contains("www-authenticate: Basic realm=\"r\"");
    assertThat(client.isOpen()).isTrue();
    assertThat(client.config().isAutoRead()).isTrue();

    // Remembered: the next request with the right password is answered at once.
    assertThat(checks).isEmpty();
    send(client, "GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Basic " + basic("pw") + "\r\n\r\n");
    assertThat(written(client)).startsWith("HTTP/1.1 200 ");
    client.finishAndReleaseAll();
  }

  @Test
  void aBodyThatComesAfterTheHeadWaitsToo() {
    EmbeddedChannel client = new EmbeddedChannel();
    edge.serve(client.pipeline());
    send(
        client,
        "POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Basic "
            + basic("pw")
            + "\r\nContent-Length: 10\r\n\r\n");
    client.config().setAutoRead(true);
    send(client, "hello");
    assertThat(client.config().isAutoRead()).isFalse();
    send(client, "world");
    check(client);
    assertThat(written(client)).startsWith("HTTP/1.1 405 ");
    assertThat(client.isOpen()).isTrue();
    assertThat(client.config().isAutoRead()).isTrue();
    client.finishAndReleaseAll();
  }

  @Test
  void aClientThatLeavesWhileItsPasswordIsCheckedLeavesNothing() throws Exception {
    EmbeddedChannel client = new EmbeddedChannel();
    edge.serve(client.pipeline());
    send(
        client,
        "PUT / HTTP/1.1\r\nHost: x\r\nAuthorization: Basic "
            + basic("other")
            + "\r\nContent-Length: 3\r\n\r\nabc");
    client.close();
    // The verdict comes back to a connection that is gone.
    check(client);
    assertThat(client.finishAndReleaseAll()).isFalse();
  }

  private static void send(EmbeddedChannel channel, String bytes) {
    channel.writeInbound(Unpooled.copiedBuffer(bytes, StandardCharsets.ISO_8859_1));
  }

  /** Runs what the event loop was given (the verdict), then takes what was written. */
  private static String written(EmbeddedChannel channel) {
    channel.runPendingTasks();
    StringBuilder out = new StringBuilder();
    Object msg;
    while ((msg = channel.readOutbound()) != null) {
      if (msg instanceof ByteBuf buf) {
        out.append(buf.toString(StandardCharsets.ISO_8859_1));
        buf.release();
      }
    }
    return out.toString();
  }
}
