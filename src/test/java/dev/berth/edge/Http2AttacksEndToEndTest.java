package dev.berth.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.config.EdgeSettings;
import dev.berth.config.Http2Limits;
import dev.berth.testing.BerthProcess;
import dev.berth.testing.Exec;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Each attack of issue 24, by a raw HTTP/2 client in Python (python3-h2's hpack, frames written by
 * hand: src/test/resources/h2attacks.py), against a server made of Http2Codecs' handlers and a
 * trivial responder: the GOAWAY (or RST_STREAM) it answers with, and then a request on another
 * connection that is served.
 */
class Http2AttacksEndToEndTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(2);
  private static final String SCRIPT =
      BerthProcess.repo().resolve("src/test/resources/h2attacks.py").toString();
  private static final ObjectMapper JSON = new ObjectMapper();

  private static EventLoopGroup group;
  private static Channel server;

  @BeforeAll
  static void start() throws InterruptedException {
    EdgeSettings standard = EdgeSettings.standard();
    EdgeSettings settings =
        new EdgeSettings(
            standard.maxHeaderSize(),
            standard.maxUriLength(),
            standard.clientHeaderTimeout(),
            standard.keepaliveTimeout(),
            standard.maxConnections(),
            standard.trustedProxies(),
            standard.forwardedHeader(),
            standard.routeDefaults(),
            standard.threads(),
            standard.transport(),
            new Http2Limits(128, 16 * 1024, 65_535, TIMEOUT, TIMEOUT));
    group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    server =
        new ServerBootstrap()
            .group(group)
            .channel(NioServerSocketChannel.class)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    Http2Codecs.addConnectionHandlers(ch.pipeline(), settings);
                    ch.pipeline()
                        .addLast(
                            new Http2MultiplexHandler(new Http2TestResponder()),
                            new ChannelInboundHandlerAdapter() {
                              @Override
                              public void exceptionCaught(ChannelHandlerContext ctx, Throwable e) {
                                // The codec fires each connection error here, after its GOAWAY.
                              }
                            });
                  }
                })
            .bind("127.0.0.1", 0)
            .sync()
            .channel();
  }

  @AfterAll
  static void stop() throws InterruptedException {
    server.close().sync();
    group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).sync();
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
    int port = ((InetSocketAddress) server.localAddress()).getPort();
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
