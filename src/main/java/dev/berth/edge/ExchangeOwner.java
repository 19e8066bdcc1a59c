package dev.berth.edge;

import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.http.HttpContent;
import java.util.ArrayDeque;

/**
 * What runs exchanges: an HTTP/1.1 connection ({@link EdgeHandler}, one exchange at a time) or an
 * HTTP/2 stream ({@link StreamHandler}, one exchange in its life). Exchanges tell it how they end
 * through this, and know nothing else of it.
 */
interface ExchangeOwner {

  /**
   * The exchange is over: its last write is {@code lastWrite}; {@code keepOpen} false when what the
   * client sent cannot be trusted to end where the exchange thinks (a body not read to its end).
   */
  void exchangeDone(Exchange exchange, boolean keepOpen, ChannelFuture lastWrite);

  /** Whether the connection closes after the current exchange (the edge drains). */
  boolean draining();

  /**
   * Whether {@link #exchangeDone} will wait on the exchange's last write: if not, that write can do
   * without a promise of its own.
   */
  boolean watchesLastWrite(boolean keepOpen);

  /**
   * A deferred exchange's verdict is in: {@code next} takes over from {@code from} with the body
   * that came meanwhile, unless the owner moved on (closed).
   */
  void handOver(Exchange from, Exchange next, ArrayDeque<HttpContent> body);

  /**
   * Whether responses must reach the client as decoded {@code HttpResponse}/{@code HttpContent},
   * never as the app's raw bytes: true for an HTTP/2 stream.
   */
  boolean decodesResponses();
}
