package dev.berth.edge;

import static java.util.Objects.requireNonNull;

import dev.berth.access.Verdict;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.ArrayDeque;
import java.util.function.Function;

/**
 * A request waiting for its verdict (a password being checked off the event loop). Reading pauses
 * meanwhile, so that what of the body arrives is at most one read's worth; once the verdict is in,
 * on the connection's event loop, the exchange it leads to takes over with that body.
 */
final class DeferredExchange implements Exchange {

  private final ExchangeOwner connection;
  private final ChannelHandlerContext ctx;
  private final Verdict.Pending pending;
  private final Function<Verdict, Exchange> then;
  private final ArrayDeque<HttpContent> body = new ArrayDeque<>(2);
  private boolean requestDone;
  private boolean aborted;

  DeferredExchange(
      ExchangeOwner connection,
      ChannelHandlerContext ctx,
      Verdict.Pending pending,
      Function<Verdict, Exchange> then) {
    this.connection = requireNonNull(connection, "connection");
    this.ctx = requireNonNull(ctx, "ctx");
    this.pending = requireNonNull(pending, "pending");
    this.then = requireNonNull(then, "then");
  }

  @Override
  public void start() {
    ctx.channel().config().setAutoRead(false);
    pending
        .result()
        .whenComplete(
            (verdict, failure) -> {
              Verdict v = failure == null ? verdict : new Verdict.Busy(1);
              ctx.executor().execute(() -> decided(v));
            });
  }

  private void decided(Verdict verdict) {
    if (aborted) {
      return;
    }
    connection.handOver(this, then.apply(verdict), body);
  }

  @Override
  public void requestContent(HttpContent content) {
    if (content instanceof LastHttpContent) {
      requestDone = true;
    }
    if (aborted) {
      content.release();
      return;
    }
    body.add(content);
    // Again at each piece: the connection turns reading back on after dispatching what it had
    // queued, which may have been this request.
    ctx.channel().config().setAutoRead(false);
  }

  @Override
  public boolean requestDone() {
    return requestDone;
  }

  @Override
  public void abort() {
    aborted = true;
    HttpContent content;
    while ((content = body.poll()) != null) {
      content.release();
    }
  }
}
