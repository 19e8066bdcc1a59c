package dev.berth.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.config.App;
import dev.berth.config.ProbeRequest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpClientCodec;
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
  private final ProbeRequest request =
      ProbeRequest.of(
          new App.HealthCheck("/up", Duration.ofSeconds(10), Duration.ofSeconds(2)),
          App.Mount.ROOT);

  /** A probe's connection: the request went out, the answer comes in. */
  private EmbeddedChannel probe() {
    EmbeddedChannel channel =
        new EmbeddedChannel(new HttpClientCodec(), new HealthChecker.Probe(backend, peer, request));
    channel.writeOutbound(HealthChecker.message(request));
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

  @Test
  void theCheckGoesOutAsARequestRoutedToTheAppUnderItsPrefix() {
    ProbeRequest mounted =
        ProbeRequest.of(
            new App.HealthCheck("/up", Duration.ofSeconds(10), Duration.ofSeconds(2)),
            new App.Mount("shop.example.com", "/shop", false));
    EmbeddedChannel channel =
        new EmbeddedChannel(new HttpClientCodec(), new HealthChecker.Probe(backend, peer, mounted));
    channel.writeOutbound(HealthChecker.message(mounted));
    StringBuilder sent = new StringBuilder();
    for (ByteBuf piece; (piece = channel.readOutbound()) != null; piece.release()) {
      sent.append(piece.toString(StandardCharsets.US_ASCII));
    }
    assertThat(sent.toString())
        .startsWith("GET /shop/up HTTP/1.1\r\nHost: shop.example.com\r\n")
        .contains("\r\nX-Forwarded-Prefix: /shop\r\n")
        .contains("\r\nSCRIPT_NAME: /shop\r\n")
        .contains("\r\nX-Forwarded-Proto: http\r\n")
        .contains("\r\nuser-agent: berth-health-check\r\n")
        .endsWith("\r\nconnection: close\r\n\r\n");
    channel.finishAndReleaseAll();
  }
}
