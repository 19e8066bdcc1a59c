package dev.berth.edge;

import static java.util.Objects.requireNonNull;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;

/**
 * On a TLS connection, between the handshake and the HTTP/1.1 handlers: once the handshake is done,
 * a connection whose client chose "h2" by ALPN gets the HTTP/2 handlers in their place; any other
 * (HTTP/1.1, no ALPN) keeps them. Then it leaves the pipeline.
 */
final class ProtocolChoice extends ApplicationProtocolNegotiationHandler {

  private final Edge edge;

  ProtocolChoice(Edge edge) {
    super(ApplicationProtocolNames.HTTP_1_1);
    this.edge = requireNonNull(edge, "edge");
  }

  @Override
  protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
    if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
      edge.serveHttp2(ctx.pipeline());
    }
  }

  /** The handshake failed: the client's doing, and the handlers after this say so quietly. */
  @Override
  protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }

  /** As before this handler was there: the HTTP/1.1 handler after it decides what to log. */
  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.fireExceptionCaught(cause);
  }
}
