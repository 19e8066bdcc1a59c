package dev.berth.edge;

import static java.util.Objects.requireNonNull;

import dev.berth.config.EdgeSettings;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.concurrent.Ticker;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The client connection's clocks: a request head must arrive whole within client_header_timeout
 * from its first byte (a slowloris client gets 408), and an idle keep-alive connection closes after
 * keepalive_timeout.
 *
 * <p>One check per connection runs on a fixed beat; requests only move a deadline, so a busy
 * connection schedules and cancels nothing per request. Not a handler: {@link EdgeHandler} starts
 * and stops it with the connection and hears what it finds, and {@link EdgeCodec}'s decoder, which
 * sees the raw bytes, tells it when a request begins.
 */
final class ClientTimeouts {

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

  /** The event loop's clock (Netty's, so that a test can move it); set when the clocks start. */
  private Ticker ticker = Ticker.systemTicker();

  ClientTimeouts(EdgeSettings settings) {
    this.settings = requireNonNull(settings, "settings");
    this.beatMillis =
        beatMillis(
            settings.clientHeaderTimeout().compareTo(settings.keepaliveTimeout()) < 0
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

  /**
   * Starts the clocks of a live connection (accepted, or woken from rest: either way its next
   * request is on its way); what they find goes to {@code connection}. Again is a no-op.
   */
  void start(EdgeHandler connection, ChannelHandlerContext ctx) {
    if (beat != null) {
      return;
    }
    ticker = ctx.executor().ticker();
    // A new connection must send its first request head in time, as nginx's client_header_timeout.
    expectHead();
    beat =
        ctx.executor()
            .scheduleAtFixedRate(
                () -> check(connection, ctx), beatMillis, beatMillis, TimeUnit.MILLISECONDS);
  }

  void stop() {
    if (beat != null) {
      beat.cancel(false);
    }
  }

  /** Bytes arrived: on an idle connection they begin the next request head, and its clock. */
  void bytesArrived() {
    if (state == State.IDLE) {
      expectHead();
    }
  }

  /** A request head arrived: no clock runs while its exchange does. */
  void busy() {
    state = State.BUSY;
  }

  /** The exchange completed and the connection waits for the next request. */
  void idle() {
    state = State.IDLE;
    deadline = ticker.nanoTime() + settings.keepaliveTimeout().toNanos();
  }

  private void expectHead() {
    state = State.HEAD;
    deadline = ticker.nanoTime() + settings.clientHeaderTimeout().toNanos();
  }

  /** When the keep-alive clock runs out, on the event loop's ticker; only meaningful while idle. */
  long keepaliveDeadline() {
    return deadline;
  }

  private void check(EdgeHandler connection, ChannelHandlerContext ctx) {
    if (state == State.BUSY) {
      return;
    }
    long now = ticker.nanoTime();
    if (now - deadline < 0) {
      long idleFor = now - (deadline - settings.keepaliveTimeout().toNanos());
      if (state == State.IDLE && idleFor >= TimeUnit.MILLISECONDS.toNanos(beatMillis)) {
        connection.mayRest();
      }
      return;
    }
    if (state == State.HEAD) {
      state = State.BUSY;
      connection.headerTimedOut();
    } else {
      ctx.close();
    }
  }
}
