package dev.berth.edge;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An app in maintenance, on Netty's EmbeddedChannel: its routes answer 503 with the page and
 * Retry-After without asking it (it has no instance here: it would be a 502), its static files and
 * other apps' routes are not touched, and off restores it at once.
 */
class MaintenanceTest {

  private static final AccessLogSpec OFF =
      new AccessLogSpec(false, Path.of("/dev/null"), AccessLogSpec.Format.COMBINED);

  @TempDir Path site;
  private final DefaultEventLoopGroup unused = new DefaultEventLoopGroup(1);
  private AccessLog accessLog;
  private Edge edge;

  @BeforeEach
  void setUp() throws Exception {
    Files.writeString(site.resolve("index.html"), "hello");
    RouteAccess paged =
        new RouteAccess(
            null,
            List.of(),
            List.of(),
            null,
            Map.of(
                503,
                new RouteAccess.ErrorPage(
                    site.resolve("503.html"),
                    "<p>shop's own 503</p>".getBytes(StandardCharsets.UTF_8))));
    accessLog = new AccessLog(new PrintStream(OutputStream.nullOutputStream()));
    edge =
        new Edge(
            Transport.of(EdgeSettings.IoTransport.NIO),
            unused,
            EdgeSettings.standard(),
            new Router(
                RouteTable.of(
                    List.of(
                        route(
                            "/static",
                            new Route.StaticTarget(site.toRealPath(), "", false, false),
                            RouteAccess.NONE),
                        route("/paged", new Route.AppTarget("paged"), paged),
                        route("/", new Route.AppTarget("shop"), RouteAccess.NONE)))),
            new Backends(),
            accessLog,
            r -> OFF);
  }

  private static Route route(String path, Route.Target target, RouteAccess access) {
    return new Route("", path, target, false, RouteLimits.standard(), OFF, access, 1, "");
  }

  @AfterEach
  void tearDown() {
    accessLog.close();
    unused.shutdownGracefully(0, 0, TimeUnit.SECONDS);
  }

  @Test
  void theAppsRoutesAnswer503WithThePageWhileStaticFilesServe() {
    edge.maintenance().on("shop", new Maintenance.Notice("<h1>Back soon</h1>", 120));

    String answer = get("/cart");
    assertThat(answer).startsWith("HTTP/1.1 503 ");
    assertThat(answer.toLowerCase()).contains("retry-after: 120", "cache-control: no-store");
    assertThat(answer).contains("text/html; charset=utf-8").endsWith("<h1>Back soon</h1>");

    // The file's body goes out as a file region: its head says it is the file.
    assertThat(get("/static/index.html")).startsWith("HTTP/1.1 200 ").contains("content-length: 5");
  }

  @Test
  void withoutAPageTheAppsOwn503PageElseBerths() {
    edge.maintenance().on("paged", new Maintenance.Notice(null, 30));
    edge.maintenance().on("shop", new Maintenance.Notice(null, 0));

    String own = get("/paged/x");
    assertThat(own).startsWith("HTTP/1.1 503 ").endsWith("<p>shop's own 503</p>");
    assertThat(own.toLowerCase()).contains("retry-after: 30");

    String berths = get("/");
    assertThat(berths).startsWith("HTTP/1.1 503 ").contains("maintenance");
    assertThat(berths.toLowerCase()).contains("retry-after: 0", "cache-control: no-store");
  }

  @Test
  void offRestoresTheRoutesAtOnce() {
    edge.maintenance().on("shop", new Maintenance.Notice(null, 120));
    assertThat(get("/")).startsWith("HTTP/1.1 503 ");

    edge.maintenance().off("shop");
    // No instance of shop: the proxy's own answer, not maintenance's.
    assertThat(get("/")).startsWith("HTTP/1.1 502 ").doesNotContainIgnoringCase("retry-after");
  }

  private String get(String path) {
    EmbeddedChannel client = new EmbeddedChannel();
    edge.serve(client.pipeline());
    client.writeInbound(
        Unpooled.copiedBuffer(
            "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            StandardCharsets.ISO_8859_1));
    client.runPendingTasks();
    StringBuilder out = new StringBuilder();
    Object msg;
    while ((msg = client.readOutbound()) != null) {
      if (msg instanceof ByteBuf buf) {
        out.append(buf.toString(StandardCharsets.ISO_8859_1));
        buf.release();
      }
    }
    client.finishAndReleaseAll();
    return out.toString();
  }
}
