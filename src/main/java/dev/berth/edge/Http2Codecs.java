package dev.berth.edge;

import static java.util.Objects.requireNonNull;

import dev.berth.config.EdgeSettings;
import dev.berth.config.Http2Limits;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2Settings;

/**
 * The frame codec of a client connection: the settings berth announces and the limits it holds
 * clients to. Every HTTP/2 connection (ALPN "h2" on a TLS listener, h2c with prior knowledge on a
 * plain one) gets its codec here, so the limits are decided in one place.
 *
 * <p>What each attack meets (docs/http2.md, "Limits and attacks"):
 *
 * <ul>
 *   <li>Rapid reset (CVE-2023-44487): Netty's count of RST_STREAM frames, {@link #MAX_RESETS} in
 *       {@link #RESET_WINDOW_SECONDS}, then GOAWAY ENHANCE_YOUR_CALM.
 *   <li>CONTINUATION flood (CVE-2024-27316): Netty bounds a header block at a quarter past the
 *       header list limit (GOAWAY PROTOCOL_ERROR) and counts small CONTINUATION frames ({@link
 *       #MAX_SMALL_CONTINUATIONS}, GOAWAY ENHANCE_YOUR_CALM).
 *   <li>A header list that decodes past the limit: 431, then GOAWAY ENHANCE_YOUR_CALM ({@link
 *       GuardedFrameCodec}).
 *   <li>PING and SETTINGS floods: {@link ControlFrameLimits}; a client that reads none of the
 *       answers meets Netty's limit of queued control frames first.
 *   <li>A client that opens no window, or reads nothing: {@link Http2Timeouts}.
 *   <li>Invalid stream ids, frames on idle or closed streams, more streams than allowed: Netty
 *       (GOAWAY PROTOCOL_ERROR for a stream id that is even, zero or never opened; RST_STREAM
 *       STREAM_CLOSED for a frame on a closed stream, which Netty cannot tell from one skipped;
 *       REFUSED_STREAM past the limit), and past {@link #MAX_RESETS} RST_STREAM frames sent, GOAWAY
 *       ENHANCE_YOUR_CALM.
 * </ul>
 */
final class Http2Codecs {

  /**
   * RST_STREAM frames a client may send in {@link #RESET_WINDOW_SECONDS}, and that berth sends
   * (Netty's defaults): a client whose frames keep getting its streams reset is attacking.
   */
  static final int MAX_RESETS = 200;

  static final int RESET_WINDOW_SECONDS = 30;

  /**
   * CONTINUATION frames under 8 KiB one header block may have (Netty's default): a client that
   * sends its headers a few bytes at a time is attacking the server.
   */
  static final int MAX_SMALL_CONTINUATIONS = 16;

  /** Control frames queued for a client that does not read them (Netty's default). */
  static final int MAX_QUEUED_CONTROL_FRAMES = 10_000;

  private Http2Codecs() {}

  /**
   * Adds a connection's HTTP/2 handlers, with the edge's current settings, at the end of {@code
   * pipeline}: the frame codec and the connection's clocks ({@link Http2Timeouts}). The caller adds
   * its stream multiplexer after them.
   */
  static void addConnectionHandlers(ChannelPipeline pipeline, EdgeSettings settings) {
    requireNonNull(pipeline, "pipeline");
    requireNonNull(settings, "settings");
    Http2Limits limits = settings.http2();
    Http2Settings initial =
        Http2Settings.defaultSettings()
            .maxConcurrentStreams(limits.maxConcurrentStreams())
            .maxHeaderListSize(limits.maxHeaderListSize())
            .initialWindowSize(limits.initialWindowSize())
            // WebSocket over HTTP/2 (RFC 8441): see ExtendedConnect.
            .connectProtocolEnabled(true);
    Http2Timeouts timeouts = new Http2Timeouts(limits.idleTimeout(), limits.sendTimeout());
    Http2FrameCodec codec =
        GuardedFrameCodec.forServer(timeouts::windowUpdated)
            .initialSettings(initial)
            .decoderEnforceMaxRstFramesPerWindow(MAX_RESETS, RESET_WINDOW_SECONDS)
            .encoderEnforceMaxRstFramesPerWindow(MAX_RESETS, RESET_WINDOW_SECONDS)
            .decoderEnforceMaxSmallContinuationFrames(MAX_SMALL_CONTINUATIONS)
            .encoderEnforceMaxQueuedControlFrames(MAX_QUEUED_CONTROL_FRAMES)
            // A close closes: the GOAWAY of a drain is sent by Http2Drain (and that of an idle
            // connection by Http2Timeouts), and the edge's close of a connection still busy at
            // the drain timeout must not wait on its streams again.
            .decoupleCloseAndGoAway(true)
            .build();
    pipeline.addLast(codec, timeouts);
  }
}
