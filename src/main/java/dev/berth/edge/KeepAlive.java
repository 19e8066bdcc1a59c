package dev.berth.edge;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.ArrayDeque;

/**
 * Decides whether a client connection stays open after a response, as Netty's
 * HttpServerKeepAliveHandler does, except that responses whose length is known without a header
 * (304, 204, and any answer to HEAD) keep the connection: Netty closes after every 304, which
 * costs a new connection for each revalidated asset.
 */
final class KeepAlive extends ChannelDuplexHandler {

  /** Per request not yet answered: its method and whether its client asked to keep the connection. */
  private record Pending(HttpMethod method, boolean keepAlive, boolean http10) {}

  private final ArrayDeque<Pending> pending = new ArrayDeque<>();
  private boolean closeAfterResponse;

  boolean atRest() {
    return pending.isEmpty() && !closeAfterResponse;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpRequest request) {
      pending.add(
          new Pending(
              request.method(), HttpUtil.isKeepAlive(request), request.protocolVersion().equals(HttpVersion.HTTP_1_0)));
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof HttpResponse response && response.status().codeClass() != HttpStatusClass.INFORMATIONAL) {
      Pending request = pending.poll();
      boolean keep =
          request != null
              && request.keepAlive()
              && HttpUtil.isKeepAlive(response)
              && lengthIsKnown(response, request.method());
      if (keep && request.http10()) {
        // HTTP/1.0 closes by default: say that this connection stays.
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
      }
      if (!keep) {
        HttpUtil.setKeepAlive(response, false);
      }
      closeAfterResponse = !keep;
    }
    if (msg instanceof LastHttpContent && closeAfterResponse) {
      promise = promise.unvoid();
      promise.addListener(ChannelFutureListener.CLOSE);
    }
    ctx.write(msg, promise);
  }

  /** Whether the client can tell where this response ends without the connection closing. */
  private static boolean lengthIsKnown(HttpResponse response, HttpMethod method) {
    int code = response.status().code();
    return HttpUtil.isContentLengthSet(response)
        || HttpUtil.isTransferEncodingChunked(response)
        || code == 204
        || code == 304
        || HttpMethod.HEAD.equals(method);
  }
}
