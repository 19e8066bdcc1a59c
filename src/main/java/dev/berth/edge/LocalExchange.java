package dev.berth.edge;

import static java.util.Objects.requireNonNull;

import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.function.Supplier;

/**
 * An exchange berth answers itself (an error page, a static file): the response is written at once
 * and any request body is read and dropped, so the connection can carry the next request.
 */
final class LocalExchange implements Exchange {

  private final ExchangeOwner connection;
  private final Supplier<ChannelFuture> writeResponse;

  /** The response says the connection closes: do not wait for a body that may never come. */
  private final boolean closes;

  private ChannelFuture written;
  private boolean requestDone;
  private boolean finished;

  LocalExchange(ExchangeOwner connection, Supplier<ChannelFuture> writeResponse, boolean closes) {
    this.connection = requireNonNull(connection, "connection");
    this.writeResponse = requireNonNull(writeResponse, "writeResponse");
    this.closes = closes;
  }

  @Override
  public void start() {
    written = writeResponse.get();
    finishIfDone();
  }

  @Override
  public void requestContent(HttpContent content) {
    if (content instanceof LastHttpContent) {
      requestDone = true;
    }
    content.release();
    finishIfDone();
  }

  @Override
  public boolean requestDone() {
    return requestDone;
  }

  @Override
  public void abort() {
    finished = true;
  }

  private void finishIfDone() {
    if (finished || written == null || !(requestDone || closes)) {
      return;
    }
    finished = true;
    connection.exchangeDone(this, !closes, written);
  }
}
