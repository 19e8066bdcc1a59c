package dev.berth.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.accesslog.AccessLog;
import dev.berth.config.AccessLogSpec;
import dev.berth.config.EdgeSettings;
import dev.berth.config.RouteLimits;
import dev.berth.routing.RouteTable;
import dev.berth.routing.Router;
import dev.berth.transport.Transport;
import dev.berth.upstream.Backends;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DuplexChannel;
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
 * The edge's clocks on Netty's EmbeddedChannel, whose event loop runs on a clock the test moves:
 * the request-head timeout (408), the keep-alive idle close, rest and wake-up ({@link Dormant}),
 * and the lingering close. No socket, no real waiting.
 */
class EdgeTimersTest {

  private static final Duration HEADER_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration KEEPALIVE = Duration.ofSeconds(4);

  private final DefaultEventLoopGroup unused = new DefaultEventLoopGroup(1);
  private AccessLog accessLog;
  private Edge edge;

  @BeforeEach
  void setUp() {
    EdgeSettings settings =
        new EdgeSettings(
            8 * 1024,
            8 * 1024,
            HEADER_TIMEOUT,
            KEEPALIVE,
            100,
            dev.berth.config.TrustedProxies.NONE,
            false,
            RouteLimits.standard(),
            1,
            EdgeSettings.IoTransport.NIO);
    accessLog = new AccessLog(new PrintStream(OutputStream.nullOutputStream()));
    AccessLogSpec off =
        new AccessLogSpec(false, Path.of("/dev/null"), AccessLogSpec.Format.COMBINED);
    // The group is only handed to the server bootstrap, which is never bound here.
    edge =
        new Edge(
            Transport.of(EdgeSettings.IoTransport.NIO),
            unused,
            settings,
            new Router(RouteTable.of(List.of())),
            new Backends(),
            accessLog,
            route -> off);
  }

  @AfterEach
  void tearDown() {
    accessLog.close();
    unused.shutdownGracefully(0, 0, TimeUnit.SECONDS);
  }

  /** A client connection with the edge's handlers, as accepted, on a frozen clock. */
  private EmbeddedChannel accepted() {
    EmbeddedChannel client = new EmbeddedChannel();
    client.freezeTime();
    edge.serve(client.pipeline());
    return client;
  }

  private static void elapse(EmbeddedChannel channel, Duration time) {
    channel.advanceTimeBy(time.toMillis(), TimeUnit.MILLISECONDS);
    channel.runScheduledPendingTasks();
    channel.runPendingTasks();
  }

  private static void send(EmbeddedChannel channel, String bytes) {
    channel.writeInbound(Unpooled.copiedBuffer(bytes, StandardCharsets.ISO_8859_1));
  }

  /** Everything the edge wrote to the client so far. */
  private static String written(EmbeddedChannel channel) {
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

  private static List<ChannelHandler> handlers(EmbeddedChannel channel) {
    return List.copyOf(channel.pipeline().toMap().values());
  }

  @Test
  void aHeadNotWholeWithinClientHeaderTimeoutGets408AndTheConnectionCloses() {
    EmbeddedChannel client = accepted();
    send(client, "GET /slowloris HTTP/1.1\r\nHost: x\r\n");

    elapse(client, HEADER_TIMEOUT.minusSeconds(2));
    assertThat(client.isOpen()).isTrue();
    assertThat(written(client)).isEmpty();

    elapse(client, Duration.ofSeconds(2));
    assertThat(written(client)).startsWith("HTTP/1.1 408 ");
    assertThat(client.isOpen()).isFalse();
  }

  @Test
  void theHeadClockRunsFromTheFirstByteOfEachRequest() {
    EmbeddedChannel client = accepted();
    send(client, "GET /one HTTP/1.1\r\nHost: x\r\n\r\n");
    assertThat(written(client)).startsWith("HTTP/1.1 404 ");

    // Idle for less than keepalive_timeout, then a slow head: its own clock starts with its
    // first byte, not when the connection went idle.
    elapse(client, KEEPALIVE.minusSeconds(1));
    send(client, "GET /two HTTP/1.1\r\n");
    elapse(client, HEADER_TIMEOUT.minusSeconds(1));
    assertThat(client.isOpen()).isTrue();
    send(client, "Host: x\r\n\r\n");
    assertThat(written(client)).startsWith("HTTP/1.1 404 ");
    assertThat(client.isOpen()).isTrue();
  }

  @Test
  void anIdleKeepAliveConnectionRestsThenClosesAtKeepaliveTimeout() {
    EmbeddedChannel client = accepted();
    send(client, "GET /first HTTP/1.1\r\nHost: x\r\n\r\n");
    assertThat(written(client)).startsWith("HTTP/1.1 404 ");
    assertThat(handlers(client)).hasSize(3);

    // A beat (a quarter of keepalive_timeout, at most 1 s) idle: put to rest, one shared handler.
    elapse(client, Duration.ofSeconds(1));
    assertThat(handlers(client)).singleElement().isInstanceOf(Dormant.class);
    assertThat(client.isOpen()).isTrue();

    elapse(client, KEEPALIVE.minusSeconds(2));
    assertThat(client.isOpen()).isTrue();
    elapse(client, Duration.ofSeconds(1));
    assertThat(client.isOpen()).isFalse();
    assertThat(written(client)).as("closed without a word, as nginx does").isEmpty();
  }

  @Test
  void aRestingConnectionWakesForItsNextRequestWithFreshHandlersAndClocks() {
    EmbeddedChannel client = accepted();
    send(client, "GET /first HTTP/1.1\r\nHost: x\r\n\r\n");
    assertThat(written(client)).startsWith("HTTP/1.1 404 ");
    elapse(client, Duration.ofSeconds(1));
    assertThat(handlers(client)).singleElement().isInstanceOf(Dormant.class);

    // Its first byte wakes it; the rest follows later, within the head timeout.
    send(client, "G");
    assertThat(handlers(client)).hasSize(3);
    elapse(client, KEEPALIVE.plusSeconds(1));
    assertThat(client.isOpen()).as("the old keep-alive deadline no longer applies").isTrue();
    send(client, "ET /again HTTP/1.1\r\nHost: x\r\n\r\n");
    assertThat(written(client)).startsWith("HTTP/1.1 404 ");

    // And the new head clock runs: a slow head on the woken connection gets its 408.
    elapse(client, Duration.ofSeconds(1));
    send(client, "GET /slow HTTP/1.1\r\n");
    elapse(client, HEADER_TIMEOUT);
    assertThat(written(client)).startsWith("HTTP/1.1 408 ");
    assertThat(client.isOpen()).isFalse();
  }

  @Test
  void lingeringDropsWhatTheClientStillSendsAndClosesAfterFiveQuietSeconds() {
    HalfClosable client = new HalfClosable();
    Lingering.start(client);
    assertThat(client.isOutputShutdown()).as("berth's side ends first").isTrue();

    elapse(client, Duration.ofSeconds(4));
    send(client, "more of an upload nobody reads");
    assertThat((Object) client.readInbound()).as("dropped").isNull();
    elapse(client, Duration.ofSeconds(4));
    assertThat(client.isOpen()).as("quiet for 4 s only").isTrue();
    elapse(client, Duration.ofSeconds(1));
    assertThat(client.isOpen()).isFalse();
  }

  @Test
  void lingeringEndsAfterThirtySecondsEvenWhileTheClientKeepsSending() {
    HalfClosable client = new HalfClosable();
    Lingering.start(client);
    for (int second = 1; second < 30; second++) {
      elapse(client, Duration.ofSeconds(1));
      assertThat(client.isOpen()).as("at %d s", second).isTrue();
      send(client, "x");
    }
    elapse(client, Duration.ofSeconds(1));
    assertThat(client.isOpen()).isFalse();
  }

  /** An EmbeddedChannel that can end its output alone, as a TCP or unix socket channel can. */
  private static final class HalfClosable extends EmbeddedChannel implements DuplexChannel {
    private boolean outputShut;

    HalfClosable() {
      freezeTime();
    }

    @Override
    public boolean isInputShutdown() {
      return false;
    }

    @Override
    public ChannelFuture shutdownInput() {
      return newFailedFuture(new UnsupportedOperationException());
    }

    @Override
    public ChannelFuture shutdownInput(ChannelPromise promise) {
      return promise.setFailure(new UnsupportedOperationException());
    }

    @Override
    public boolean isOutputShutdown() {
      return outputShut;
    }

    @Override
    public ChannelFuture shutdownOutput() {
      return shutdownOutput(newPromise());
    }

    @Override
    public ChannelFuture shutdownOutput(ChannelPromise promise) {
      outputShut = true;
      return promise.setSuccess();
    }

    @Override
    public boolean isShutdown() {
      return outputShut;
    }

    @Override
    public ChannelFuture shutdown() {
      return shutdownOutput();
    }

    @Override
    public ChannelFuture shutdown(ChannelPromise promise) {
      return shutdownOutput(promise);
    }
  }
}
