package dev.berth.edge;

import static io.netty.handler.codec.http2.Http2Error.CANCEL;
import static io.netty.handler.codec.http2.Http2Error.ENHANCE_YOUR_CALM;
import static io.netty.handler.codec.http2.Http2Error.NO_ERROR;
import static java.util.Objects.requireNonNull;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2RemoteFlowController;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.util.concurrent.AbstractScheduledEventExecutor;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The clocks of one HTTP/2 connection, after its frame codec: the idle timeout, and the send
 * timeout of a client that gives berth no room to send (it opens no flow-control window, or reads
 * nothing from its socket).
 *
 * <p>Netty keeps a response's data that its window does not allow yet in the flow controller, and
 * the stream's channel stops being writable, so that the exchange stops reading from the app: the
 * data waiting is bounded, but the stream, its app connection and the client connection would be
 * held for ever. One task per connection looks at it on a beat (a quarter of the shorter timeout):
 * a stream with data waiting and a closed window for the send timeout is reset (CANCEL); a
 * connection whose own window, or whose socket, stays closed that long gets GOAWAY
 * ENHANCE_YOUR_CALM and is closed. A WINDOW_UPDATE starts the stream's (or the connection's) time
 * again, so a client that reads slowly but reads is not cut.
 */
final class Http2Timeouts extends ChannelInboundHandlerAdapter {

  private final long idleNanos;
  private final long sendNanos;
  private final long beatNanos;

  private Http2FrameCodec codec;
  private ChannelHandlerContext codecCtx;
  private Http2Connection.PropertyKey blockedSince;
  private ScheduledFuture<?> beat;

  /** When the connection began, or its last stream closed. */
  private long lastActive;

  /** When the connection window was first seen closed with data waiting; -1 when it is not. */
  private long connectionBlockedSince = -1;

  /** When the socket was first seen unwritable; -1 when it is writable. */
  private long unwritableSince = -1;

  /** Goes after the connection's {@link Http2FrameCodec}, which it finds when added. */
  Http2Timeouts(Duration idleTimeout, Duration sendTimeout) {
    this.idleNanos = idleTimeout.toNanos();
    this.sendNanos = sendTimeout.toNanos();
    this.beatNanos = Math.max(1, Math.min(idleNanos, sendNanos) / 4);
  }

  /** The time on {@code ctx}'s event loop (which tests may move on). */
  static long nanoTime(ChannelHandlerContext ctx) {
    EventExecutor executor = ctx.executor();
    return executor instanceof AbstractScheduledEventExecutor scheduled
        ? scheduled.ticker().nanoTime()
        : System.nanoTime();
  }

  /** The client sent a WINDOW_UPDATE for {@code streamId} (0: the connection). */
  void windowUpdated(int streamId) {
    if (streamId == 0) {
      connectionBlockedSince = -1;
      return;
    }
    if (codec == null) {
      return;
    }
    Http2Stream stream = codec.connection().stream(streamId);
    if (stream != null) {
      stream.removeProperty(blockedSince);
    }
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    codecCtx = requireNonNull(ctx.pipeline().context(Http2FrameCodec.class), "the frame codec");
    codec = (Http2FrameCodec) codecCtx.handler();
    Http2Connection connection = codec.connection();
    blockedSince = connection.newKey();
    lastActive = nanoTime(ctx);
    connection.addListener(
        new Http2ConnectionAdapter() {
          @Override
          public void onStreamClosed(Http2Stream stream) {
            lastActive = nanoTime(ctx);
          }
        });
    beat =
        ctx.executor()
            .scheduleAtFixedRate(() -> tick(ctx), beatNanos, beatNanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    stop();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    stop();
    ctx.fireChannelInactive();
  }

  private void stop() {
    if (beat != null) {
      beat.cancel(false);
      beat = null;
    }
  }

  private void tick(ChannelHandlerContext ctx) {
    if (!ctx.channel().isActive()) {
      stop();
      return;
    }
    long now = nanoTime(ctx);
    Http2Connection connection = codec.connection();
    if (ctx.channel().isWritable()) {
      unwritableSince = -1;
    } else if (unwritableSince < 0) {
      unwritableSince = now;
    } else if (now - unwritableSince >= sendNanos) {
      // The GOAWAY would wait behind what the client does not read: close without it.
      codecCtx.close();
      stop();
      return;
    }
    if (connection.numActiveStreams() == 0) {
      connectionBlockedSince = -1;
      if (now - lastActive >= idleNanos) {
        // The codec's close sends no GOAWAY (Http2Codecs): this one says no stream was lost.
        codec
            .goAway(
                codecCtx,
                connection.remote().lastStreamCreated(),
                NO_ERROR.code(),
                Unpooled.EMPTY_BUFFER,
                codecCtx.newPromise())
            .addListener(ChannelFutureListener.CLOSE);
        codecCtx.flush();
        stop();
      }
      return;
    }
    Http2RemoteFlowController flow = connection.remote().flowController();
    List<Http2Stream> stalled = new ArrayList<>();
    boolean waiting = false;
    for (Http2Stream stream : activeStreams(connection)) {
      if (!flow.hasFlowControlled(stream)) {
        stream.removeProperty(blockedSince);
        continue;
      }
      waiting = true;
      if (flow.windowSize(stream) > 0) {
        stream.removeProperty(blockedSince);
        continue;
      }
      Long since = stream.getProperty(blockedSince);
      if (since == null) {
        stream.setProperty(blockedSince, now);
      } else if (now - since >= sendNanos) {
        stalled.add(stream);
      }
    }
    for (Http2Stream stream : stalled) {
      codec.resetStream(codecCtx, stream.id(), CANCEL.code(), codecCtx.newPromise());
    }
    if (!stalled.isEmpty()) {
      codecCtx.flush();
    }
    if (!waiting || flow.windowSize(connection.connectionStream()) > 0) {
      connectionBlockedSince = -1;
    } else if (connectionBlockedSince < 0) {
      connectionBlockedSince = now;
    } else if (now - connectionBlockedSince >= sendNanos) {
      codec.onError(
          codecCtx,
          false,
          Http2Exception.connectionError(
              ENHANCE_YOUR_CALM,
              "the connection window stayed closed for %d s",
              TimeUnit.NANOSECONDS.toSeconds(sendNanos)));
      stop();
    }
  }

  private static List<Http2Stream> activeStreams(Http2Connection connection) {
    List<Http2Stream> streams = new ArrayList<>(connection.numActiveStreams());
    try {
      connection.forEachActiveStream(
          stream -> {
            streams.add(stream);
            return true;
          });
    } catch (Http2Exception e) {
      throw new IllegalStateException(e); // the visitor above throws nothing
    }
    return streams;
  }
}
