package dev.berth.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.config.App;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.ReadTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The active health check's verdict on one probe, on an EmbeddedChannel standing in for the
 * connection to the peer: 2xx and 3xx mark it up, anything else marks it down, and a marked-down
 * peer takes no traffic while another can.
 */
class HealthProbeTest {

  private final AppBackend backend =
      new AppBackend("web", App.Balance.ROUND_ROBIN, 8, Duration.ofSeconds(30), null, 1);
  private final Peer peer = backend.add(new java.net.InetSocketAddress("127.0.0.1", 8001));
  private final Peer other = backend.add(new java.net.InetSocketAddress("127.0.0.1", 8002));

  /** A probe's connection: the request went out, the answer comes in. */
  private EmbeddedChannel probe() {
    EmbeddedChannel channel =
        new EmbeddedChannel(new HttpClientCodec(), new HealthChecker.Probe(backend, peer));
    channel.writeOutbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/up"));
    channel.releaseOutbound();
    return channel;
  }

  private void answer(String response) {
    EmbeddedChannel channel = probe();
    channel.writeInbound(Unpooled.copiedBuffer(response, StandardCharsets.US_ASCII));
    assertThat(channel.isOpen()).as("one probe, one connection").isFalse();
  }

  private boolean picked() {
    for (int i = 0; i < 4; i++) {
      if (backend.pick(Set.of(), System.nanoTime()) == peer) {
        return true;
      }
    }
    return false;
  }

  @Test
  void aFailingAnswerMarksThePeerDownAndASuccessfulOneMarksItUp() {
    answer("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
    assertThat(peer.healthy()).isFalse();
    assertThat(picked()).isFalse();

    answer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    assertThat(peer.healthy()).isTrue();
    assertThat(picked()).isTrue();
  }

  @Test
  void aRedirectIsHealthyAnInterimAnswerIsNotTheVerdict() {
    peer.healthy(false);
    answer(
        "HTTP/1.1 100 Continue\r\n\r\n"
            + "HTTP/1.1 302 Found\r\nLocation: /login\r\nContent-Length: 0\r\n\r\n");
    assertThat(peer.healthy()).isTrue();
  }

  @Test
  void aClientErrorIsUnhealthy() {
    answer("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    assertThat(peer.healthy()).isFalse();
  }

  @Test
  void aConnectionClosedWithoutAnAnswerIsUnhealthy() {
    EmbeddedChannel channel = probe();
    channel.close();
    assertThat(peer.healthy()).isFalse();
  }

  @Test
  void noAnswerInTimeIsUnhealthy() {
    EmbeddedChannel channel = probe();
    channel.pipeline().fireExceptionCaught(ReadTimeoutException.INSTANCE);
    assertThat(peer.healthy()).isFalse();
    assertThat(channel.isOpen()).isFalse();
    assertThat(other.healthy()).as("only the probed peer").isTrue();
  }
}
