package dev.berth.edge;

import static io.netty.handler.codec.http2.Http2Error.ENHANCE_YOUR_CALM;
import static java.util.Objects.requireNonNull;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.DecoratingHttp2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2FrameListener;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2Stream;
import java.util.function.IntConsumer;

/**
 * Netty's HTTP/2 frame codec, with two things it does not do: a header list that decodes past the
 * limit closes the connection after its 431, and the control frames a client sends are counted
 * ({@link ControlFrameLimits}).
 *
 * <p>Netty refuses a header block whose encoded size is a quarter past the limit (GOAWAY
 * PROTOCOL_ERROR) and one spread over too many small CONTINUATION frames (ENHANCE_YOUR_CALM), so no
 * block grows without bound. A small block can still decode to far more than the limit (HPACK
 * refers to its table of earlier fields with a byte or two); Netty stops keeping fields past the
 * limit and answers that stream 431, but keeps the connection. berth then closes it: a client whose
 * header list is too large for one request has no use for the connection, and one that does it on
 * purpose should not get to do it again.
 */
final class GuardedFrameCodec extends Http2FrameCodec {

  private final long maxHeaderListSize;

  private GuardedFrameCodec(
      Http2ConnectionEncoder encoder,
      Http2ConnectionDecoder decoder,
      Http2Settings initialSettings,
      boolean decoupleCloseAndGoAway,
      boolean flushPreface) {
    super(encoder, decoder, initialSettings, decoupleCloseAndGoAway, flushPreface);
    this.maxHeaderListSize = initialSettings.maxHeaderListSize();
  }

  @Override
  protected void handleServerHeaderDecodeSizeError(ChannelHandlerContext ctx, Http2Stream stream) {
    super.handleServerHeaderDecodeSizeError(ctx, stream);
    onError(
        ctx,
        false,
        Http2Exception.connectionError(
            ENHANCE_YOUR_CALM,
            "the header list of stream %d decodes past %d bytes",
            stream.id(),
            maxHeaderListSize));
  }

  /**
   * A server builder of this codec, which tells {@code windowUpdates} the stream id of each
   * WINDOW_UPDATE frame the client sends.
   */
  static Builder forServer(IntConsumer windowUpdates) {
    return new Builder(windowUpdates);
  }

  /** Netty's builder, making this codec around a decoder that counts control frames. */
  static final class Builder extends Http2FrameCodecBuilder {
    private final IntConsumer windowUpdates;

    private Builder(IntConsumer windowUpdates) {
      this.windowUpdates = requireNonNull(windowUpdates, "windowUpdates");
      server(true);
      // As Http2FrameCodecBuilder.forServer(): whoever drains a connection decides how long.
      gracefulShutdownTimeoutMillis(0);
    }

    @Override
    protected GuardedFrameCodec build(
        Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder, Http2Settings settings) {
      GuardedFrameCodec codec =
          new GuardedFrameCodec(
              encoder,
              new CountingDecoder(decoder, windowUpdates),
              settings,
              decoupleCloseAndGoAway(),
              flushPreface());
      codec.gracefulShutdownTimeoutMillis(gracefulShutdownTimeoutMillis());
      return codec;
    }
  }

  /** Puts {@link ControlFrameLimits} before whatever listener the codec sets. */
  private static final class CountingDecoder extends DecoratingHttp2ConnectionDecoder {
    private final IntConsumer windowUpdates;

    CountingDecoder(Http2ConnectionDecoder delegate, IntConsumer windowUpdates) {
      super(delegate);
      this.windowUpdates = windowUpdates;
    }

    @Override
    public void frameListener(Http2FrameListener listener) {
      super.frameListener(
          listener == null ? null : new ControlFrameLimits(listener, windowUpdates));
    }

    @Override
    public Http2FrameListener frameListener() {
      Http2FrameListener listener = super.frameListener();
      return listener instanceof ControlFrameLimits limits ? limits.inner() : listener;
    }
  }
}
