package io.netty.channel.uring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.berth.config.EdgeSettings.IoTransport;
import dev.berth.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import java.io.ByteArrayOutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What berth's channel in Netty's package does on a real unix socket: the connection {@link
 * Transport} makes to an app waits on a receive it keeps armed (where Netty's own channel waits on
 * a poll), and the app's bytes, however many, and its close arrive through it. In Netty's package
 * to read the channel's outstanding receive ({@code readId}); a Netty upgrade that changes what
 * these tests read fails them.
 */
@Timeout(60)
class BerthDomainSocketChannelTest {

  @TempDir Path tmp;
  private Transport transport;
  private EventLoopGroup group;
  private ServerSocketChannel app;

  @BeforeEach
  void start() throws Exception {
    assumeThat(IoUring.isAvailable()).as("io_uring loads here").isTrue();
    transport = Transport.of(IoTransport.IO_URING);
    group = transport.newEventLoopGroup(1, "uring-test");
    app = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    app.bind(UnixDomainSocketAddress.of(tmp.resolve("app.sock")));
  }

  @AfterEach
  void stop() throws Exception {
    if (app != null) {
      app.close();
    }
    if (group != null) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
  }

  @Test
  void transportConnectsToAnAppThroughAnArmedReceiveWhereTheKernelSaysWhenTheSocketIsEmpty()
      throws Exception {
    assumeThat(BerthDomainSocketChannel.isSupported())
        .as("io_uring reports unread bytes on a unix socket (Linux 6.17+)")
        .isTrue();
    Received received = new Received();
    Channel channel = connect(received);
    try (SocketChannel peer = app.accept()) {
      assertThat(channel).isInstanceOf(BerthDomainSocketChannel.class);
      assertThat(receiveArmed(channel)).as("a receive waits before the app sends").isTrue();

      // More than one receive's worth, written by the app in pieces: every byte, in order.
      byte[] response = bytes(1024 * 1024 + 7);
      for (int at = 0; at < response.length; at += 100_000) {
        writeFully(peer, Arrays.copyOfRange(response, at, Math.min(response.length, at + 100_000)));
      }
      assertThat(received.first(response.length).get(10, TimeUnit.SECONDS)).isEqualTo(response);
      assertThat(receiveArmed(channel)).as("armed again once the app's bytes are read").isTrue();

      // Writes go the other way on the same connection.
      byte[] request = bytes(300_000);
      ChannelFuture written = channel.writeAndFlush(Unpooled.wrappedBuffer(request));
      assertThat(readFully(peer, request.length)).isEqualTo(request);
      written.sync();

      // Bytes and then the close at once, as an app ending a close-delimited body does: a unix
      // socket does not count the pending end as unread, so this is where reading stops too soon
      // or waits forever if the end is missed.
      byte[] last = bytes(14);
      writeFully(peer, last);
      peer.close();
      assertThat(received.all().get(10, TimeUnit.SECONDS))
          .hasSize(response.length + last.length)
          .endsWith(last);
      assertThat(channel.closeFuture().await(10, TimeUnit.SECONDS)).isTrue();
    } finally {
      channel.close().sync();
    }
  }

  /** The same probe on Netty's own channel: it waits on a poll, with no receive armed. */
  @Test
  void nettysOwnDomainSocketChannelPollsBeforeItReceives() throws Exception {
    Received received = new Received();
    Channel channel =
        new Bootstrap()
            .group(group)
            .channelFactory(IoUringDomainSocketChannel::new)
            .handler(received)
            .connect(transport.unixAddress(tmp.resolve("app.sock")))
            .sync()
            .channel();
    try (SocketChannel peer = app.accept()) {
      assertThat(receiveArmed(channel)).isFalse();
      byte[] response = bytes(1000);
      writeFully(peer, response);
      assertThat(received.first(response.length).get(10, TimeUnit.SECONDS)).isEqualTo(response);
      assertThat(receiveArmed(channel)).isFalse();
    } finally {
      channel.close().sync();
    }
  }

  private Channel connect(Received received) throws InterruptedException {
    var address = transport.unixAddress(tmp.resolve("app.sock"));
    return new Bootstrap()
        .group(group)
        .channelFactory(transport.clientChannel(address))
        .handler(received)
        .connect(address)
        .sync()
        .channel();
  }

  /**
   * Whether a receive is outstanding on the channel, read on its event loop: a task submitted after
   * the connect completed runs after the channel became active and began to read.
   */
  private static boolean receiveArmed(Channel channel) throws Exception {
    return channel
        .eventLoop()
        .submit(() -> ((AbstractIoUringStreamChannel) channel).readId != 0)
        .get(10, TimeUnit.SECONDS);
  }

  private static byte[] bytes(int size) {
    byte[] bytes = new byte[size];
    for (int i = 0; i < size; i++) {
      bytes[i] = (byte) (i * 31 + i / 251);
    }
    return bytes;
  }

  private static void writeFully(SocketChannel peer, byte[] bytes) throws Exception {
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    while (buffer.hasRemaining()) {
      peer.write(buffer);
    }
  }

  private static byte[] readFully(SocketChannel peer, int size) throws Exception {
    ByteBuffer buffer = ByteBuffer.allocate(size);
    while (buffer.hasRemaining()) {
      if (peer.read(buffer) < 0) {
        break;
      }
    }
    return Arrays.copyOf(buffer.array(), buffer.position());
  }

  /** What the channel read. Its fields are touched on the channel's event loop only. */
  private static final class Received extends ChannelInboundHandlerAdapter {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final CompletableFuture<byte[]> all = new CompletableFuture<>();
    private CompletableFuture<byte[]> first = new CompletableFuture<>();
    private int wanted = Integer.MAX_VALUE;
    private ChannelHandlerContext ctx;

    /** The first {@code size} bytes read, or all there were if the channel closed before. */
    CompletableFuture<byte[]> first(int size) throws Exception {
      CompletableFuture<byte[]> future = new CompletableFuture<>();
      ctx.executor()
          .submit(
              () -> {
                first = future;
                wanted = size;
                check();
              })
          .get(10, TimeUnit.SECONDS);
      return future;
    }

    /** Every byte read, once the channel closed. */
    CompletableFuture<byte[]> all() {
      return all;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf buf = (ByteBuf) msg;
      try {
        byte[] chunk = new byte[buf.readableBytes()];
        buf.readBytes(chunk);
        bytes.writeBytes(chunk);
        check();
      } finally {
        buf.release();
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      all.complete(bytes.toByteArray());
      first.complete(bytes.toByteArray());
    }

    private void check() {
      if (bytes.size() >= wanted) {
        first.complete(Arrays.copyOf(bytes.toByteArray(), wanted));
      } else if (all.isDone()) {
        first.complete(bytes.toByteArray());
      }
    }
  }
}
