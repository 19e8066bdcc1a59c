package dev.berth.tls;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.SniHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.Mapping;
import io.netty.util.concurrent.Future;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;

/**
 * The first handler of a TLS connection: reads the ClientHello, picks the certificate from the
 * store (by the name asked for, or the TLS-ALPN-01 challenge when "acme-tls/1" is offered), and
 * puts an {@link SslHandler} in its own place. A handshake the store refuses is closed.
 */
final class CertificatePicker extends SniHandler {

  private static final Mapping<String, SslContext> UNUSED = host -> null;

  private final CertificateStore store;
  private boolean acmeTls;

  CertificatePicker(CertificateStore store, long handshakeTimeoutMillis) {
    super(UNUSED, handshakeTimeoutMillis);
    this.store = requireNonNull(store, "store");
  }

  @Override
  protected Future<SslContext> lookup(ChannelHandlerContext ctx, ByteBuf clientHello)
      throws Exception {
    acmeTls = ClientHello.alpn(clientHello).contains(ServerContexts.ACME_TLS_1);
    // Netty reads the name, then asks the lookup below.
    return super.lookup(ctx, clientHello);
  }

  @Override
  protected Future<SslContext> lookup(ChannelHandlerContext ctx, String hostname) {
    SslContext context = store.select(hostname, acmeTls);
    if (context == null) {
      return ctx.executor()
          .newFailedFuture(
              new SSLHandshakeException(
                  "no certificate for "
                      + (hostname == null ? "a handshake without SNI" : hostname)));
    }
    return ctx.executor().newSucceededFuture(context);
  }

  /**
   * A ClientHello berth cannot read (garbage, too long) or a handshake the store refused: the
   * client's doing; the connection closes without a word in the log.
   */
  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }

  @Override
  protected SslHandler newSslHandler(SslContext context, ByteBufAllocator allocator) {
    SslHandler handler = super.newSslHandler(context, allocator);
    if (store.contexts().jdkEngine()) {
      // The JDK's engine follows the client's cipher order unless told; OpenSSL's server
      // contexts prefer the server's already.
      SSLEngine engine = handler.engine();
      SSLParameters parameters = engine.getSSLParameters();
      parameters.setUseCipherSuitesOrder(true);
      engine.setSSLParameters(parameters);
    }
    return handler;
  }
}
