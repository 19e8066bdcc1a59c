package dev.berth.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.accesslog.AccessLog;
import dev.berth.config.AccessLogSpec;
import dev.berth.config.EdgeSettings;
import dev.berth.config.RouteLimits;
import dev.berth.routing.RouteTable;
import dev.berth.routing.Router;
import dev.berth.testing.TestPki;
import dev.berth.transport.Transport;
import dev.berth.upstream.Backends;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A TLS connection at rest and awake, on embedded channels with a frozen clock: the TLS handler
 * stays when the others are put to rest, and the next request, decrypted, reaches fresh handlers
 * (not the TLS handler a second time).
 */
class EdgeTlsRestTest {

  private final DefaultEventLoopGroup unused = new DefaultEventLoopGroup(1);
  private AccessLog accessLog;
  private Edge edge;
  private EmbeddedChannel server;
  private EmbeddedChannel client;
  private final StringBuilder received = new StringBuilder();

  @BeforeEach
  void setUp() throws Exception {
    EdgeSettings settings =
        new EdgeSettings(
            8 * 1024,
            8 * 1024,
            Duration.ofSeconds(10),
            Duration.ofSeconds(4),
            100,
            dev.berth.config.TrustedProxies.NONE,
            false,
            RouteLimits.standard(),
            1,
            EdgeSettings.IoTransport.NIO);
    accessLog = new AccessLog(new PrintStream(OutputStream.nullOutputStream()));
    AccessLogSpec off =
        new AccessLogSpec(false, Path.of("/dev/null"), AccessLogSpec.Format.COMBINED);
    edge =
        new Edge(
            Transport.of(EdgeSettings.IoTransport.NIO),
            unused,
            settings,
            new Router(RouteTable.of(List.of())),
            new Backends(),
            accessLog,
            route -> off);
    TestPki pki = new TestPki();
    TestPki.Leaf leaf = pki.leaf("a.test");
    SslContext serverContext =
        SslContextBuilder.forServer(leaf.key(), leaf.certificate())
            .sslProvider(SslProvider.JDK)
            .build();
    SslContext clientContext =
        SslContextBuilder.forClient()
            .sslProvider(SslProvider.JDK)
            .trustManager(InsecureTrustManagerFactory.INSTANCE)
            .build();
    server = new EmbeddedChannel();
    server.freezeTime();
    server.pipeline().addLast(serverContext.newHandler(server.alloc()));
    edge.serve(server.pipeline());
    client =
        new EmbeddedChannel(
            clientContext.newHandler(Unpooled.buffer().alloc(), "a.test", 443),
            new ChannelInboundHandlerAdapter() {
              @Override
              public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ByteBuf buf = (ByteBuf) msg;
                received.append(buf.toString(StandardCharsets.ISO_8859_1));
                buf.release();
              }
            });
    pump();
  }

  @AfterEach
  void tearDown() {
    client.finishAndReleaseAll();
    server.finishAndReleaseAll();
    accessLog.close();
    unused.shutdownGracefully(0, 0, TimeUnit.SECONDS);
  }

  /** Carries bytes both ways until neither side has any to send. */
  private void pump() {
    boolean moved = true;
    while (moved) {
      moved = false;
      Object msg;
      while ((msg = client.readOutbound()) != null) {
        server.writeInbound(msg);
        moved = true;
      }
      while ((msg = server.readOutbound()) != null) {
        client.writeInbound(msg);
        moved = true;
      }
      client.runPendingTasks();
      server.runPendingTasks();
    }
  }

  private String ask(String path) {
    received.setLength(0);
    client.writeAndFlush(
        Unpooled.copiedBuffer(
            "GET " + path + " HTTP/1.1\r\nHost: a.test\r\n\r\n", StandardCharsets.ISO_8859_1));
    pump();
    return received.toString();
  }

  private List<ChannelHandler> handlers() {
    return List.copyOf(server.pipeline().toMap().values());
  }

  @Test
  void aRestingTlsConnectionKeepsItsTlsHandlerAndWakesForTheNextRequest() {
    assertThat(ask("/first")).startsWith("HTTP/1.1 404 ");
    assertThat(handlers()).hasSize(4).first().isInstanceOf(SslHandler.class);

    server.advanceTimeBy(1, TimeUnit.SECONDS);
    server.runScheduledPendingTasks();
    assertThat(handlers()).hasSize(2);
    assertThat(handlers().get(0)).isInstanceOf(SslHandler.class);
    assertThat(handlers().get(1)).isInstanceOf(Dormant.class);

    assertThat(ask("/second")).startsWith("HTTP/1.1 404 ");
    assertThat(handlers()).hasSize(4).first().isInstanceOf(SslHandler.class);
    assertThat(server.isOpen()).isTrue();
  }
}
