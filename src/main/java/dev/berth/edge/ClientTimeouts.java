package dev.berth.edge;

import static java.util.Objects.requireNonNull;

import dev.berth.config.EdgeSettings;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The client connection's clocks, ahead of the codec so it sees raw bytes: a request head must
 * arrive whole within client_header_timeout from its first byte (a slowloris client gets 408),
 * and an idle keep-alive connection closes after keepalive_timeout.
 */
final class ClientTimeouts extends ChannelInboundHandlerAdapter {

  /** User event: the request head did not arrive in time. */
  static final Object HEADER_TIMEOUT = new Object();

  private enum State {
    IDLE,
    HEAD,
    BUSY
  }

  private final EdgeSettings settings;
  private ChannelHandlerContext ctx;
  private State state = State.HEAD;
  private ScheduledFuture<?> timer;

  ClientTimeouts(EdgeSettings settings) {
    this.settings = requireNonNull(settings, "settings");
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    // A new connection must send its first request head in time, as nginx's client_header_timeout.
    startHeaderTimer();
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (state == State.IDLE && msg instanceof ByteBuf buf && buf.isReadable()) {
      startHeaderTimer();
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    cancel();
    ctx.fireChannelInactive();
  }

  /** A request head arrived: no clock runs while its exchange does. */
  void busy() {
    cancel();
    state = State.BUSY;
  }

  /** The exchange completed and the connection waits for the next request. */
  void idle() {
    cancel();
    state = State.IDLE;
    timer = ctx.executor().schedule((Runnable) ctx::close, settings.keepaliveTimeout().toMillis(), TimeUnit.MILLISECONDS);
  }

  private void startHeaderTimer() {
    cancel();
    state = State.HEAD;
    timer =
        ctx.executor()
            .schedule(
                () -> {
                  if (state == State.HEAD) {
                    ctx.fireUserEventTriggered(HEADER_TIMEOUT);
                  }
                },
                settings.clientHeaderTimeout().toMillis(),
                TimeUnit.MILLISECONDS);
  }

  private void cancel() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }
}
