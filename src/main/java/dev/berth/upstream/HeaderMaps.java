package dev.berth.upstream;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;

/**
 * Header maps for Netty's HTTP decoders, with Netty's validation but smaller hash tables than its
 * 16 slots, which every decoded message allocates:
 *
 * <ul>
 *   <li>{@link #TRAILERS}: 2 slots. The decoder makes one for the last piece of every body, and
 *       almost all stay empty; the 16-slot tables were about 3% of what a proxied request
 *       allocated.
 *   <li>{@link #HEADS}: 8 slots, for a request's or a response's fields; a head carries a handful
 *       of them (wrk sends one, a browser about ten, nginx answers with five).
 * </ul>
 */
public final class HeaderMaps implements HttpHeadersFactory {

  public static final HeaderMaps TRAILERS =
      new HeaderMaps(DefaultHttpHeadersFactory.trailersFactory(), 2);
  public static final HeaderMaps HEADS =
      new HeaderMaps(DefaultHttpHeadersFactory.headersFactory(), 8);

  private final DefaultHttpHeadersFactory netty;
  private final int slots;

  private HeaderMaps(DefaultHttpHeadersFactory netty, int slots) {
    this.netty = netty;
    this.slots = slots;
  }

  @Override
  public HttpHeaders newHeaders() {
    return new Sized(netty, slots);
  }

  @Override
  public HttpHeaders newEmptyHeaders() {
    return new Sized(netty, slots);
  }

  private static final class Sized extends DefaultHttpHeaders {
    Sized(DefaultHttpHeadersFactory netty, int slots) {
      super(netty.getNameValidator(), netty.getValueValidator(), slots);
    }
  }
}
