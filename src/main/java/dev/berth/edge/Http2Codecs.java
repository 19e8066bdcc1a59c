package dev.berth.edge;

import static java.util.Objects.requireNonNull;

import dev.berth.config.EdgeSettings;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Settings;

/**
 * The HTTP/2 frame codec of a client connection: the settings berth announces and the limits it
 * holds clients to. Every HTTP/2 connection (ALPN "h2" on a TLS listener, h2c with prior knowledge
 * on a plain one) gets its codec here, so the limits are decided in one place.
 */
final class Http2Codecs {

  /** Streams a client may have open at once on one connection (nginx's default too). */
  static final int MAX_CONCURRENT_STREAMS = 128;

  private Http2Codecs() {}

  /**
   * Adds a connection's HTTP/2 handlers, with the edge's current settings, at the end of {@code
   * pipeline}: the frame codec (and whatever holds clients to the limits). The caller adds its
   * stream multiplexer after them.
   */
  static void addConnectionHandlers(ChannelPipeline pipeline, EdgeSettings settings) {
    requireNonNull(pipeline, "pipeline");
    requireNonNull(settings, "settings");
    Http2Settings initial =
        Http2Settings.defaultSettings()
            .maxConcurrentStreams(MAX_CONCURRENT_STREAMS)
            .maxHeaderListSize(settings.maxHeaderSize());
    pipeline.addLast(
        Http2FrameCodecBuilder.forServer()
            .initialSettings(initial)
            // A close closes: the GOAWAY of a drain is sent by Http2Drain, and the edge's close of
            // a connection still busy at the drain timeout must not wait on its streams again.
            .decoupleCloseAndGoAway(true)
            .build());
  }
}
