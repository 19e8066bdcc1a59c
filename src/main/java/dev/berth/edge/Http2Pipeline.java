package dev.berth.edge;

import static java.util.Objects.requireNonNull;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.flush.FlushConsolidationHandler;

/**
 * An HTTP/2 connection's handlers: the frame codec (with the limits, from {@link Http2Codecs}),
 * {@link Http2Drain}, and Netty's multiplexer, which gives each stream a child channel of its own.
 * On that channel Netty's stream codec turns frames into {@code HttpRequest}/{@code HttpContent}
 * and back, {@link StreamResponses} adds what berth adds to every response, and {@link
 * StreamHandler} runs the stream's exchange.
 */
final class Http2Pipeline {

  /** Stateless, and marked sharable by Netty: one for every stream. */
  private static final Http2StreamFrameToHttpObjectCodec STREAM_CODEC =
      new Http2StreamFrameToHttpObjectCodec(true);

  /** Flushes held back before one goes through anyway (Netty's default). */
  private static final int MAX_FLUSHES_HELD = 256;

  private Http2Pipeline() {}

  /**
   * Puts the HTTP/2 handlers at the end of {@code pipeline}, whose connection is past its TLS
   * handshake (or was plain from the start): the client's preface is the next thing it reads.
   */
  static void serve(Edge edge, ChannelPipeline pipeline) {
    requireNonNull(edge, "edge");
    requireNonNull(pipeline, "pipeline");
    // Once per connection, with its TLS handler in place: streams share it.
    ClientAddress client = ClientAddress.of(pipeline.channel());
    // Many streams' responses reach one connection from as many app connections, each with its
    // flush: without this, each one became a TLS record and a write of its own.
    pipeline.addLast(new FlushConsolidationHandler(MAX_FLUSHES_HELD, true));
    Http2Codecs.addConnectionHandlers(pipeline, edge.settings());
    pipeline.addLast(new Http2Drain(edge, pipeline.get(Http2FrameCodec.class).connection()));
    pipeline.addLast(
        new Http2MultiplexHandler(
            new ChannelInitializer<Http2StreamChannel>() {
              @Override
              protected void initChannel(Http2StreamChannel stream) {
                StreamResponses responses = new StreamResponses();
                stream
                    .pipeline()
                    .addLast(
                        new ExtendedConnect(),
                        STREAM_CODEC,
                        responses,
                        new StreamHandler(edge, responses, client));
              }
            }));
  }

  /** Whether {@code channel} is a stream of an HTTP/2 connection. */
  static boolean isStream(Channel channel) {
    return channel instanceof Http2StreamChannel;
  }
}
