package dev.berth.edge;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * nginx's lingering close, for a connection berth closes while its client is still sending (a
 * request body that an app, or berth, answered before reading it to its end).
 *
 * <p>Closing such a socket at once makes the kernel answer the bytes still coming with a reset, and
 * a reset can destroy the response in the client's receive buffer before the client reads it: an
 * upload form would show "connection reset" instead of the app's 413 or 401. So berth ends its side
 * (FIN after the response), then reads and drops whatever the client still sends, and closes when
 * the client closes, after 5 s without a byte, or after 30 s in all (nginx's lingering_timeout and
 * lingering_time).
 */
final class Lingering extends ChannelInboundHandlerAdapter {

  private static final long QUIET_NANOS = TimeUnit.SECONDS.toNanos(5);
  private static final long MAX_NANOS = TimeUnit.SECONDS.toNanos(30);
  private static final long BEAT_MILLIS = 500;

  // On the event loop's ticker (Netty's clock, which a test can move), from handlerAdded.
  private long started;
  private long lastRead;
  private ScheduledFuture<?> beat;

  private Lingering() {}

  /**
   * Shuts down {@code channel}'s output (everything written before is sent first) and drops its
   * input until it may close. Again on the same channel is a no-op.
   */
  static void start(DuplexChannel channel) {
    if (channel.pipeline().get(Lingering.class) != null) {
      return;
    }
    channel.pipeline().addFirst(new Lingering());
    channel.config().setAutoRead(true);
    channel
        .shutdownOutput()
        .addListener(
            shut -> {
              if (!shut.isSuccess()) {
                channel.close();
              }
            });
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    started = ctx.executor().ticker().nanoTime();
    lastRead = started;
    beat =
        ctx.executor()
            .scheduleAtFixedRate(() -> check(ctx), BEAT_MILLIS, BEAT_MILLIS, TimeUnit.MILLISECONDS);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    // Also when the channel closes: Netty removes every handler of a closed channel's pipeline.
    beat.cancel(false);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    lastRead = ctx.executor().ticker().nanoTime();
    ReferenceCountUtil.release(msg);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    // Nothing read here goes further, so there is nothing to complete.
  }

  private void check(ChannelHandlerContext ctx) {
    long now = ctx.executor().ticker().nanoTime();
    if (now - lastRead >= QUIET_NANOS || now - started >= MAX_NANOS) {
      ctx.close();
    }
  }
}
