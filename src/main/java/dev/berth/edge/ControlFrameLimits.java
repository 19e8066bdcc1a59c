package dev.berth.edge;

import static io.netty.handler.codec.http2.Http2Error.ENHANCE_YOUR_CALM;
import static java.util.Objects.requireNonNull;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameListener;
import io.netty.handler.codec.http2.Http2FrameListenerDecorator;
import io.netty.handler.codec.http2.Http2Settings;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

/**
 * Between the frame reader and the frame codec of one HTTP/2 connection: counts the PING and
 * SETTINGS frames a client sends, and tells of its WINDOW_UPDATE frames.
 *
 * <p>Netty answers each PING and SETTINGS frame, and only stops a client that floods them while
 * reading none of the answers (its queued control frames limit). A client that reads the answers
 * may send millions a second; past {@link #MAX_PINGS} or {@link #MAX_SETTINGS} in {@link #WINDOW}
 * the connection gets GOAWAY ENHANCE_YOUR_CALM (RFC 9113, section 10.5). Browsers send a SETTINGS
 * frame or two per connection and a PING now and then.
 */
final class ControlFrameLimits extends Http2FrameListenerDecorator {

  /** PING frames (not acknowledgements) a client may send in {@link #WINDOW}. */
  static final int MAX_PINGS = 100;

  /** SETTINGS frames (not acknowledgements) a client may send in {@link #WINDOW}. */
  static final int MAX_SETTINGS = 100;

  static final long WINDOW = TimeUnit.SECONDS.toNanos(10);

  private final IntConsumer windowUpdates;
  private final Window pings = new Window(MAX_PINGS, "PING");
  private final Window settings = new Window(MAX_SETTINGS, "SETTINGS");

  /**
   * @param listener the codec's listener, which gets every frame as before
   * @param windowUpdates told the stream id (0: the connection) of each WINDOW_UPDATE read
   */
  ControlFrameLimits(Http2FrameListener listener, IntConsumer windowUpdates) {
    super(listener);
    this.windowUpdates = requireNonNull(windowUpdates, "windowUpdates");
  }

  /** The listener this one passes frames on to. */
  Http2FrameListener inner() {
    return listener;
  }

  @Override
  public void onPingRead(ChannelHandlerContext ctx, long data) throws Http2Exception {
    pings.count(ctx);
    super.onPingRead(ctx, data);
  }

  @Override
  public void onSettingsRead(ChannelHandlerContext ctx, Http2Settings s) throws Http2Exception {
    settings.count(ctx);
    super.onSettingsRead(ctx, s);
  }

  @Override
  public void onWindowUpdateRead(ChannelHandlerContext ctx, int streamId, int increment)
      throws Http2Exception {
    super.onWindowUpdateRead(ctx, streamId, increment);
    windowUpdates.accept(streamId);
  }

  /** Frames of one kind in the current window, which starts at the first frame after the last. */
  private static final class Window {
    private final int max;
    private final String kind;
    private long start;
    private int count;

    Window(int max, String kind) {
      this.max = max;
      this.kind = kind;
    }

    void count(ChannelHandlerContext ctx) throws Http2Exception {
      long now = Http2Timeouts.nanoTime(ctx);
      if (count == 0 || now - start >= WINDOW) {
        start = now;
        count = 0;
      }
      if (++count > max) {
        throw Http2Exception.connectionError(
            ENHANCE_YOUR_CALM,
            "more than %d %s frames in %d s",
            max,
            kind,
            TimeUnit.NANOSECONDS.toSeconds(WINDOW));
      }
    }
  }
}
