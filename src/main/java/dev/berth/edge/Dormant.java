package dev.berth.edge;

import static java.util.Objects.requireNonNull;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocal;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * Keep-alive connections at rest: once one has waited a while for its next request, its codec,
 * clocks and handlers (about 1.5 KiB of heap) are taken out and this one shared handler stands in,
 * as nginx frees a keep-alive connection's request buffers. The next byte puts the full pipeline
 * back, fresh, and passes the byte on; the keep-alive clock and a drain still close it.
 *
 * <p>A resting connection costs its handler context and one slot in its event loop's {@link Ward}:
 * no timer and no object of its own. A ward sweeps its connections on a beat and closes those whose
 * keep-alive time ran out.
 *
 * <p>Busy connections never come here: a connection rests only after a beat of {@link
 * ClientTimeouts} finds it idle, with nothing buffered and nothing owed.
 */
@ChannelHandler.Sharable
final class Dormant extends ChannelInboundHandlerAdapter {

  private final Edge edge;

  /** One ward per event loop, touched only on its loop. */
  private final FastThreadLocal<Ward> wards =
      new FastThreadLocal<>() {
        @Override
        protected Ward initialValue() {
          return new Ward();
        }
      };

  Dormant(Edge edge) {
    this.edge = requireNonNull(edge, "edge");
  }

  /**
   * Replaces every handler of {@code pipeline} with this resting one, until the next byte or {@code
   * keepaliveDeadline} (on the event loop's ticker). Called on the connection's event loop.
   */
  void rest(ChannelPipeline pipeline, long keepaliveDeadline) {
    // A TLS connection keeps its TLS handler (its session is the connection's): the handlers
    // after it go.
    while (pipeline.last() != null && !(pipeline.last() instanceof SslHandler)) {
      pipeline.removeLast();
    }
    pipeline.addLast(this);
    wards.get().admit(pipeline.context(this), keepaliveDeadline);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ChannelPipeline pipeline = ctx.pipeline();
    // Its slot in the ward goes at the next sweep: a removed context is how the ward knows.
    pipeline.remove(this);
    edge.serve(pipeline);
    // On a TLS connection the bytes are decrypted already: they go on from the TLS handler.
    ChannelHandlerContext tls = pipeline.context(SslHandler.class);
    if (tls != null) {
      tls.fireChannelRead(msg);
    } else {
      pipeline.fireChannelRead(msg);
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt == EdgeHandler.DRAIN) {
      ctx.close();
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    edge.connectionError(cause);
    ctx.close();
  }

  /**
   * The connections resting on one event loop, with their keep-alive deadlines, in two parallel
   * arrays. A connection that wakes or closes is not looked for: its context is removed from its
   * pipeline, and the next sweep drops it. The context, not the channel, marks a stay, so a
   * connection that woke and rests again is not closed by its earlier deadline.
   */
  private final class Ward implements Runnable {

    private static final int MIN_CAPACITY = 64;

    private ChannelHandlerContext[] resting = new ChannelHandlerContext[MIN_CAPACITY];
    private long[] deadlines = new long[MIN_CAPACITY];
    private int size;
    private boolean sweepScheduled;

    /** The event loop this ward's sweep runs on, whose clock the deadlines are on. */
    private EventExecutor sweeping;

    void admit(ChannelHandlerContext ctx, long deadline) {
      if (size == resting.length) {
        resize(resting.length * 2);
      }
      resting[size] = ctx;
      deadlines[size] = deadline;
      size++;
      if (!sweepScheduled) {
        schedule(ctx.executor());
      }
    }

    private void schedule(EventExecutor loop) {
      sweepScheduled = true;
      sweeping = loop;
      loop.schedule(
          this,
          ClientTimeouts.beatMillis(edge.settings().keepaliveTimeout()),
          TimeUnit.MILLISECONDS);
    }

    /** The sweep, on the ward's event loop. */
    @Override
    public void run() {
      sweepScheduled = false;
      long now = sweeping.ticker().nanoTime();
      EventExecutor loop = null;
      int kept = 0;
      for (int i = 0; i < size; i++) {
        ChannelHandlerContext ctx = resting[i];
        if (ctx.isRemoved() || !ctx.channel().isActive()) {
          continue;
        }
        if (now - deadlines[i] >= 0) {
          ctx.close();
          continue;
        }
        resting[kept] = ctx;
        deadlines[kept] = deadlines[i];
        kept++;
        loop = ctx.executor();
      }
      Arrays.fill(resting, kept, size, null);
      size = kept;
      // Give back what a burst of idle connections grew, once most of them are gone.
      if (resting.length > MIN_CAPACITY && size < resting.length / 4) {
        resize(Math.max(MIN_CAPACITY, resting.length / 2));
      }
      if (loop != null) {
        schedule(loop);
      }
    }

    private void resize(int capacity) {
      resting = Arrays.copyOf(resting, capacity);
      deadlines = Arrays.copyOf(deadlines, capacity);
    }
  }
}
