package dev.berth.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The relays of a tunnel on two embedded channels: the client's and the app's. */
class TunnelTest {

  private final EmbeddedChannel client = new EmbeddedChannel();
  private final EmbeddedChannel app = new EmbeddedChannel();
  private final AtomicInteger closed = new AtomicInteger();

  private Tunnel open(boolean websocket, Duration idleTimeout) {
    client.freezeTime();
    Tunnel tunnel = new Tunnel(websocket, idleTimeout, t -> closed.incrementAndGet());
    client.pipeline().addLast(tunnel.clientEnd());
    app.pipeline().addLast(tunnel.appEnd());
    tunnel.start();
    return tunnel;
  }

  @AfterEach
  void finish() {
    client.finishAndReleaseAll();
    app.finishAndReleaseAll();
  }

  private static ByteBuf bytes(int... values) {
    ByteBuf buf = Unpooled.buffer(values.length);
    for (int v : values) {
      buf.writeByte(v);
    }
    return buf;
  }

  private static String hex(EmbeddedChannel channel) {
    StringBuilder all = new StringBuilder();
    ByteBuf buf;
    while ((buf = channel.readOutbound()) != null) {
      all.append(ByteBufUtil.hexDump(buf));
      buf.release();
    }
    return all.toString();
  }

  @Test
  void bytesGoBothWaysAsTheyCome() {
    open(false, Duration.ofHours(1));
    client.writeInbound(Unpooled.copiedBuffer("ping", StandardCharsets.US_ASCII));
    app.writeInbound(Unpooled.copiedBuffer("pong", StandardCharsets.US_ASCII));
    assertThat(hex(app)).isEqualTo(ByteBufUtil.hexDump("ping".getBytes(StandardCharsets.US_ASCII)));
    assertThat(hex(client))
        .isEqualTo(ByteBufUtil.hexDump("pong".getBytes(StandardCharsets.US_ASCII)));
  }

  @Test
  void aSideReadsOnlyWhileTheOtherCanTakeMore() {
    open(false, Duration.ofHours(1));
    app.config().setWriteBufferWaterMark(new WriteBufferWaterMark(8, 16));
    // A read without its read-complete: nothing flushed yet, so the app side fills up.
    client.pipeline().fireChannelRead(Unpooled.wrappedBuffer(new byte[64]));
    assertThat(app.isWritable()).isFalse();
    assertThat(client.config().isAutoRead()).isFalse();
    // The read completes: the app side is flushed, and can take more.
    client.pipeline().fireChannelReadComplete();
    assertThat(app.isWritable()).isTrue();
    assertThat(client.config().isAutoRead()).isTrue();
    assertThat(hex(app)).hasSize(128);
  }

  @Test
  void oneSideClosingClosesTheOtherAfterWhatItSent() {
    Tunnel tunnel = open(false, Duration.ofHours(1));
    app.writeInbound(Unpooled.copiedBuffer("last", StandardCharsets.US_ASCII));
    app.close();
    assertThat(client.isOpen()).isFalse();
    assertThat(hex(client))
        .isEqualTo(ByteBufUtil.hexDump("last".getBytes(StandardCharsets.US_ASCII)));
    assertThat(closed).hasValue(1);
    assertThat(tunnel.closed()).isDone();
  }

  @Test
  void closesBothSidesAfterTheIdleTimeoutWithNoByteEitherWay() {
    open(false, Duration.ofSeconds(4));
    for (int i = 0; i < 6; i++) {
      // Bytes each second: never idle.
      client.writeInbound(Unpooled.wrappedBuffer(new byte[1]));
      client.advanceTimeBy(1, TimeUnit.SECONDS);
      client.runScheduledPendingTasks();
    }
    assertThat(client.isOpen()).isTrue();
    client.advanceTimeBy(6, TimeUnit.SECONDS);
    client.runScheduledPendingTasks();
    client.advanceTimeBy(1, TimeUnit.SECONDS);
    client.runScheduledPendingTasks();
    assertThat(client.isOpen()).isFalse();
    assertThat(app.isOpen()).isFalse();
    assertThat(closed).hasValue(1);
  }

  @Test
  void aWebSocketGoesAwayWith1001AtTheNextFrameBoundaryOfEachDirection() {
    Tunnel tunnel = open(true, Duration.ofHours(1));
    // The app is in the middle of a 10-byte text frame to the client.
    app.writeInbound(bytes(0x81, 10, 'a', 'b', 'c', 'd'));
    assertThat(hex(client)).isEqualTo("810a61626364");

    tunnel.goAway();
    client.runPendingTasks();
    // The client->app stream was between frames: the app's close frame is there at once, masked.
    ByteBuf toApp = app.readOutbound();
    assertThat(toApp.readUnsignedByte()).isEqualTo((short) 0x88);
    assertThat(toApp.readUnsignedByte()).isEqualTo((short) 0x82);
    byte[] mask = new byte[4];
    toApp.readBytes(mask);
    int code = ((toApp.readByte() ^ mask[0]) & 0xff) << 8 | ((toApp.readByte() ^ mask[1]) & 0xff);
    assertThat(code).isEqualTo(1001);
    toApp.release();
    // The client's comes after the rest of the app's frame; what the app sends after it is not
    // passed on.
    assertThat(hex(client)).isEmpty();
    app.writeInbound(bytes('e', 'f', 'g', 'h', 'i', 'j', 0x81, 0x01, 'z'));
    assertThat(hex(client)).isEqualTo("6566676869" + "6a" + "880203e9");

    // Each side answers with its close frame, and its connection closes.
    client.writeInbound(bytes(0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe9));
    assertThat(client.isOpen()).isFalse();
    assertThat(tunnel.closed()).isNotDone();
    app.writeInbound(bytes(0x88, 0x02, 0x03, 0xe9));
    assertThat(app.isOpen()).isFalse();
    assertThat(tunnel.closed()).isDone();
    assertThat(closed).hasValue(1);
  }

  @Test
  void aTunnelGoingAwayClosesAfterTheGraceWhenNoAnswerComes() {
    Tunnel tunnel = open(true, Duration.ofHours(1));
    tunnel.goAway();
    client.runPendingTasks();
    client.advanceTimeBy(Tunnel.GRACE.toMillis(), TimeUnit.MILLISECONDS);
    client.runScheduledPendingTasks();
    assertThat(client.isOpen()).isFalse();
    assertThat(app.isOpen()).isFalse();
    assertThat(tunnel.closed()).isDone();
  }
}
