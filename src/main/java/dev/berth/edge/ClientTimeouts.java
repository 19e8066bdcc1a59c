package dev.berth.edge;

import static java.util.Objects.requireNonNull;

import dev.berth.config.EdgeSettings;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The client connection's clocks, ahead of the codec so it sees raw bytes: a request head must
 * arrive whole within client_header_timeout from its first byte (a slowloris client gets 408),
 * and an idle keep-alive connection closes after keepalive_timeout.
 *
 * <p>One check per connection runs on a fixed beat; requests only move a deadline, so a busy
 * connection schedules and cancels nothing per request.
 */
final class ClientTimeouts extends ChannelInboundHandlerAdapter {

  /** User event: the request head did not arrive in time. */
  static final Object HEADER_TIMEOUT = new Object();

  /**
   * User event: the connection has waited for its next request for a beat or more, and may be
   * put to rest (see {@link Dormant}).
   */
  static final Object AT_REST = new Object();

  private enum State {
    IDLE,
    HEAD,
    BUSY
  }

  private final EdgeSettings settings;
  private final long beatMillis;
  private State state = State.HEAD;
  private long deadline;
  private ScheduledFuture<?> beat;

  ClientTimeouts(EdgeSettings settings) {
    this.settings = requireNonNull(settings, "settings");
    this.beatMillis = beatMillis(settings.clientHeaderTimeout().compareTo(settings.keepaliveTimeout()) < 0
        ? settings.clientHeaderTimeout()
        : settings.keepaliveTimeout());
  }

  /**
   * How often a clock of {@code timeout} is checked: fine enough (at most a quarter of it late, and
   * at most 1 s), coarse enough to cost nothing.
   */
  static long beatMillis(Duration timeout) {
    return Math.max(50, Math.min(1000, timeout.toMillis() / 4));
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    // Added to a live connection when it wakes from rest: its next request is on its way.
    if (ctx.channel().isActive()) {
      start(ctx);
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    start(ctx);
    ctx.fireChannelActive();
  }

  private void start(ChannelHandlerContext ctx) {
    if (beat != null) {
      return;
    }
    // A new connection must send its first request head in time, as nginx's client_header_timeout.
    expectHead();
    beat = ctx.executor().scheduleAtFixedRate(() -> check(ctx), beatMillis, beatMillis, TimeUnit.MILLISECONDS);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (state == State.IDLE && msg instanceof ByteBuf buf && buf.isReadable()) {
      expectHead();
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    stop();
    ctx.fireChannelInactive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    stop();
  }

  private void stop() {
    if (beat != null) {
      beat.cancel(false);
    }
  }

  /** A request head arrived: no clock runs while its exchange does. */
  void busy() {
    state = State.BUSY;
  }

  /** The exchange completed and the connection waits for the next request. */
  void idle() {
    state = State.IDLE;
    deadline = System.nanoTime() + settings.keepaliveTimeout().toNanos();
  }

  private void expectHead() {
    state = State.HEAD;
    deadline = System.nanoTime() + settings.clientHeaderTimeout().toNanos();
  }

  /** When the keep-alive clock runs out, in System.nanoTime() terms; only meaningful while idle. */
  long keepaliveDeadline() {
    return deadline;
  }

  private void check(ChannelHandlerContext ctx) {
    if (state == State.BUSY) {
      return;
    }
    long now = System.nanoTime();
    if (now - deadline < 0) {
      long idleFor = now - (deadline - settings.keepaliveTimeout().toNanos());
      if (state == State.IDLE && idleFor >= TimeUnit.MILLISECONDS.toNanos(beatMillis)) {
        ctx.fireUserEventTriggered(AT_REST);
      }
      return;
    }
    if (state == State.HEAD) {
      state = State.BUSY;
      ctx.fireUserEventTriggered(HEADER_TIMEOUT);
    } else {
      ctx.close();
    }
  }
}
