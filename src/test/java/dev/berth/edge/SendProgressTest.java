package dev.berth.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SendProgressTest {

  private final EmbeddedChannel channel = new EmbeddedChannel();
  private final ChannelOutboundBuffer out = channel.unsafe().outboundBuffer();
  private final SendProgress progress = new SendProgress();

  @AfterEach
  void close() {
    channel.finishAndReleaseAll();
  }

  @Test
  void nothingWaitingIsNotStuck() {
    assertThat(progress.stuckFor(out, 0)).isZero();
    assertThat(progress.stuckFor(out, 100)).isZero();
  }

  @Test
  void bytesThatDoNotMoveAreStuckSinceFirstSeen() {
    waiting(1000);
    assertThat(progress.stuckFor(out, 10)).isZero();
    assertThat(progress.stuckFor(out, 25)).isEqualTo(15);
    assertThat(progress.stuckFor(out, 70)).isEqualTo(60);
  }

  @Test
  void aPartialWriteIsProgress() {
    ByteBuf head = waiting(1000);
    progress.stuckFor(out, 10);
    head.skipBytes(1); // as a transport's partial write does
    assertThat(progress.stuckFor(out, 70)).isZero();
    assertThat(progress.stuckFor(out, 80)).isEqualTo(10);
  }

  @Test
  void moreBytesBehindTheSameHeadIsNotProgressButChangesTheLook() {
    waiting(1000);
    progress.stuckFor(out, 10);
    waiting(1000);
    // The total changed: counted from this look, so a client is never cut sooner than it should.
    assertThat(progress.stuckFor(out, 70)).isZero();
    assertThat(progress.stuckFor(out, 90)).isEqualTo(20);
  }

  private ByteBuf waiting(int bytes) {
    ByteBuf buf = Unpooled.wrappedBuffer(new byte[bytes]);
    out.addMessage(buf, bytes, channel.newPromise());
    out.addFlush();
    return buf;
  }
}
