package dev.berth.edge;

import static java.util.Objects.requireNonNull;

import dev.berth.upstream.Tunneled;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Two connections, a client's and one to an app, joined after the app switched protocols (101):
 * each side's bytes go to the other as they come, with backpressure (a side reads only while the
 * other can take more), until either closes, or neither sends a byte for the idle timeout.
 *
 * <p>A WebSocket tunnel can also <em>go away</em> (its instance is stopping, its route was removed,
 * berth drains): each side gets a close frame with status 1001 at the next frame boundary of the
 * stream it receives ({@link FrameBoundaries}); the frames to the app are masked, as a client's
 * must be. Each connection closes once its close frame is written and the side answered with its
 * own, or after {@link #GRACE}. Any other tunnel is just closed.
 *
 * <p>Both connections are on one event loop (the upstream connection was made on the client's), so
 * nothing here is locked; {@link #goAway} may be called from any thread.
 */
final class Tunnel implements Tunneled {

  /** How long going away waits for a frame boundary, and then for the answers to its close. */
  static final Duration GRACE = Duration.ofSeconds(2);

  /** Close frames with status 1001 (Going Away): to a client unmasked, to an app masked. */
  private static final byte[] CLOSE_TO_CLIENT = {(byte) 0x88, 0x02, 0x03, (byte) 0xe9};

  private final boolean websocket;
  private final long idleTimeoutNanos;
  private final Consumer<Tunnel> onClosed;
  private final CompletableFuture<Void> closed = new CompletableFuture<>();
  private final Relay fromClient;
  private final Relay fromApp;

  private ScheduledFuture<?> beat;
  private ScheduledFuture<?> grace;
  private boolean stirred;
  private long quietSince;
  private boolean goingAway;
  private boolean ended;
  private long bytesToClient;

  /**
   * @param websocket its bytes are WebSocket frames (so it can go away with 1001)
   * @param idleTimeout no byte either way for this long closes it
   * @param onClosed run once on its event loop when both connections are closed
   */
  Tunnel(boolean websocket, Duration idleTimeout, Consumer<Tunnel> onClosed) {
    this.websocket = websocket;
    this.idleTimeoutNanos = idleTimeout.toNanos();
    this.onClosed = requireNonNull(onClosed, "onClosed");
    this.fromClient = new Relay(false, websocket ? new FrameBoundaries() : null);
    this.fromApp = new Relay(true, websocket ? new FrameBoundaries() : null);
    fromClient.other = fromApp;
    fromApp.other = fromClient;
  }

  /** The handler that goes last in the client connection's pipeline. */
  ChannelInboundHandlerAdapter clientEnd() {
    return fromClient;
  }

  /** The handler that goes last in the app connection's pipeline. */
  ChannelInboundHandlerAdapter appEnd() {
    return fromApp;
  }

  /**
   * Both ends are in their pipelines: bytes flow from now on, and the idle clock starts. On the
   * event loop.
   */
  void start() {
    ChannelHandlerContext client = fromClient.ctx;
    quietSince = client.executor().ticker().nanoTime();
    long beatNanos =
        Math.max(
            TimeUnit.MILLISECONDS.toNanos(50),
            Math.min(TimeUnit.SECONDS.toNanos(60), idleTimeoutNanos / 4));
    beat =
        client
            .executor()
            .scheduleAtFixedRate(this::tick, beatNanos, beatNanos, TimeUnit.NANOSECONDS);
    for (Relay relay : new Relay[] {fromClient, fromApp}) {
      relay.ctx.channel().config().setAutoRead(relay.other.ctx.channel().isWritable());
      if (!relay.ctx.channel().isActive()) {
        relay.closedNow();
      }
    }
  }

  /** Bytes carried to the client so far, for the access log. */
  long bytesToClient() {
    return bytesToClient;
  }

  /** Completes once both connections are closed. */
  CompletableFuture<Void> closed() {
    return closed;
  }

  @Override
  public CompletableFuture<Void> goAway() {
    ChannelHandlerContext client = fromClient.ctx;
    if (client == null) {
      return CompletableFuture.completedFuture(null);
    }
    client.executor().execute(this::goAwayNow);
    return closed;
  }

  private void goAwayNow() {
    if (ended || goingAway) {
      return;
    }
    goingAway = true;
    if (!websocket) {
      closeBoth();
      return;
    }
    grace =
        fromClient.ctx.executor().schedule(this::closeBoth, GRACE.toNanos(), TimeUnit.NANOSECONDS);
    for (Relay relay : new Relay[] {fromClient, fromApp}) {
      relay.closesBefore = relay.frames.closeFrames();
      if (relay.frames.atBoundary()) {
        relay.sendClose();
      }
    }
  }

  private void tick() {
    if (stirred) {
      stirred = false;
      quietSince = fromClient.ctx.executor().ticker().nanoTime();
      return;
    }
    if (fromClient.ctx.executor().ticker().nanoTime() - quietSince >= idleTimeoutNanos) {
      closeBoth();
    }
  }

  private void closeBoth() {
    fromClient.ctx.close();
    fromApp.ctx.close();
  }

  private void ended() {
    if (ended) {
      return;
    }
    ended = true;
    beat.cancel(false);
    if (grace != null) {
      grace.cancel(false);
    }
    try {
      onClosed.accept(this);
    } finally {
      closed.complete(null);
    }
  }

  /** One side's connection: reads its bytes and writes them to the other side. */
  final class Relay extends ChannelInboundHandlerAdapter {
    private final boolean toClient;

    /** The frames of the bytes read on this side; null when the tunnel is not a WebSocket. */
    private final FrameBoundaries frames;

    private Relay other;
    private ChannelHandlerContext ctx;
    private boolean inactive;

    /** Going away: this side's close frames counted when it began; more means it answered. */
    private int closesBefore;

    private boolean answered;

    /** Going away: the close frame went into the stream this relay carries (to the other side). */
    private boolean closeSent;

    /** Going away: the close frame written to this side, by the other relay. */
    private ChannelFuture closeToHere;

    private Relay(boolean toClient, FrameBoundaries frames) {
      this.toClient = toClient;
      this.frames = frames;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (!(msg instanceof ByteBuf buf)) {
        // The empty end of the 101 that Netty's decoder hands on after it.
        ReferenceCountUtil.release(msg);
        return;
      }
      stirred = true;
      if (!goingAway || frames == null) {
        // Going away without frames to mind, the tunnel is closing anyway.
        if (goingAway || other.inactive) {
          buf.release();
          return;
        }
        if (frames != null) {
          frames.advance(buf);
        }
        forward(buf);
        return;
      }
      if (!closeSent && !other.inactive) {
        int length = frames.untilBoundary(buf);
        if (!frames.atBoundary()) {
          forward(buf);
          return;
        }
        if (length > 0) {
          forward(buf.readRetainedSlice(length));
        }
        sendClose();
      }
      // This side's bytes after the boundary are not passed on: only watched for its close frame.
      frames.advance(buf);
      buf.release();
      if (frames.closeFrames() > closesBefore) {
        answered = true;
        closeWhenDone();
      }
    }

    private void forward(ByteBuf buf) {
      if (toClient) {
        bytesToClient += buf.readableBytes();
      }
      other.ctx.write(buf, other.ctx.voidPromise());
      if (!other.ctx.channel().isWritable()) {
        ctx.channel().config().setAutoRead(false);
      }
    }

    /** The close frame 1001 into the stream this relay carries, to the other side. */
    private void sendClose() {
      closeSent = true;
      ByteBuf frame = toClient ? Unpooled.wrappedBuffer(CLOSE_TO_CLIENT) : maskedClose();
      other.closeToHere = other.ctx.writeAndFlush(frame);
      other.closeToHere.addListener(f -> other.closeWhenDone());
      // From now on this side's bytes are dropped, so it may read whatever the other side's pace.
      ctx.channel().config().setAutoRead(true);
    }

    /** Closes this side once its close frame is written and it answered with its own. */
    private void closeWhenDone() {
      if (answered && closeToHere != null && closeToHere.isDone()) {
        ctx.close();
      }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      if (!other.inactive) {
        other.ctx.flush();
      }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      // The other side reads while this one can take more (and always once it only drops).
      if (!other.closeSent) {
        other.ctx.channel().config().setAutoRead(ctx.channel().isWritable());
      }
      ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt == EdgeHandler.DRAIN) {
        goAwayNow();
        return;
      }
      ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      closedNow();
    }

    private void closedNow() {
      if (inactive) {
        return;
      }
      inactive = true;
      if (other.inactive) {
        ended();
        return;
      }
      if (goingAway && other.closeToHere != null) {
        // Its close frame is on its way: the other side may still answer it, within the grace.
        return;
      }
      // What this side sent is passed on before the other connection closes too.
      other.ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // Resets and broken pipes end a tunnel as a close does; nothing to report.
      ctx.close();
    }
  }

  private static ByteBuf maskedClose() {
    int mask = ThreadLocalRandom.current().nextInt();
    ByteBuf frame = Unpooled.buffer(8);
    frame.writeByte(0x88).writeByte(0x82).writeInt(mask);
    frame.writeByte(0x03 ^ (mask >>> 24)).writeByte(0xe9 ^ ((mask >>> 16) & 0xff));
    return frame;
  }
}
