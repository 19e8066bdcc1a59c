package dev.berth.edge;

import static java.util.Objects.requireNonNull;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A keep-alive connection at rest: once it has waited a while for its next request, its codec,
 * clocks and handlers (about 1.5 KiB of heap) are taken out and this one small handler stands in,
 * as nginx frees a keep-alive connection's request buffers. The next byte puts the full pipeline
 * back, fresh, and passes the byte on; the keep-alive clock and a drain still close it.
 *
 * <p>Busy connections never come here: a connection rests only after a beat of
 * {@link ClientTimeouts} finds it idle, with nothing buffered and nothing owed.
 */
final class Dormant extends ChannelInboundHandlerAdapter implements Runnable {

  private final Edge edge;
  private ChannelHandlerContext ctx;
  private ScheduledFuture<?> expiry;
  private final long keepaliveDeadline;

  private Dormant(Edge edge, long keepaliveDeadline) {
    this.edge = requireNonNull(edge, "edge");
    this.keepaliveDeadline = keepaliveDeadline;
  }

  /** Replaces every handler of {@code pipeline} with a resting one. */
  static void rest(ChannelPipeline pipeline, Edge edge, long keepaliveDeadline) {
    Dormant dormant = new Dormant(edge, keepaliveDeadline);
    while (pipeline.first() != null) {
      pipeline.removeFirst();
    }
    pipeline.addLast(dormant);
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    long remaining = keepaliveDeadline - System.nanoTime();
    expiry = ctx.executor().schedule(this, Math.max(0, remaining), TimeUnit.NANOSECONDS);
  }

  /** The keep-alive timeout ran out while at rest. */
  @Override
  public void run() {
    ctx.close();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ChannelPipeline pipeline = ctx.pipeline();
    expiry.cancel(false);
    pipeline.remove(this);
    edge.serve(pipeline);
    pipeline.fireChannelRead(msg);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt == EdgeHandler.DRAIN) {
      ctx.close();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    expiry.cancel(false);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    edge.connectionError(cause);
    ctx.close();
  }
}
