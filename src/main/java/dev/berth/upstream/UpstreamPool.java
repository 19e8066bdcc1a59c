package dev.berth.upstream;

import static java.util.Objects.requireNonNull;

import dev.berth.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Keep-alive connections to app instances. Each event loop has its own idle connections, so an
 * exchange takes one without locking and without leaving its thread; the most recently used is
 * taken first (its socket is warm, and the others can time out). A connection goes back only after
 * an exchange that completed cleanly; while idle, any data or close from the app discards it.
 */
public final class UpstreamPool {

  /** The pipeline name of the handler an exchange installs on a connection it holds. */
  public static final String EXCHANGE = "exchange";

  private static final String IDLE = "idle";
  private static final String CODEC = "codec";

  private final Transport transport;
  private final FastThreadLocal<Map<SocketAddress, ArrayDeque<Channel>>> idle =
      new FastThreadLocal<>() {
        @Override
        protected Map<SocketAddress, ArrayDeque<Channel>> initialValue() {
          return new HashMap<>();
        }
      };

  public UpstreamPool(Transport transport) {
    this.transport = requireNonNull(transport, "transport");
  }

  /** A connection, and whether it served an exchange before (then a failure may be staleness). */
  public record Lease(Channel channel, boolean reused) {}

  /**
   * A connection to {@code peer} on {@code loop}, pooled or new, with {@code handler} installed as
   * {@link #EXCHANGE}. Must be called on {@code loop}.
   */
  public Promise<Lease> acquire(EventLoop loop, Peer peer, Duration connectTimeout, ChannelHandler handler) {
    Promise<Lease> promise = loop.newPromise();
    ArrayDeque<Channel> idleHere = idle.get().get(peer.address());
    Channel pooled;
    while (idleHere != null && (pooled = idleHere.pollFirst()) != null) {
      if (!pooled.isActive()) {
        continue;
      }
      pooled.pipeline().remove(IDLE);
      pooled.pipeline().addLast(EXCHANGE, handler);
      return promise.setSuccess(new Lease(pooled, true));
    }
    new Bootstrap()
        .group(loop)
        .channel(transport.clientChannel(peer.address()))
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()))
        .handler(
            new ChannelInitializer<>() {
              @Override
              protected void initChannel(Channel ch) {
                ch.pipeline()
                    .addLast(CODEC, new HttpClientCodec(new HttpDecoderConfig().setStrictLineParsing(true), false, false))
                    .addLast(EXCHANGE, handler);
              }
            })
        .connect(peer.address())
        .addListener(
            (ChannelFuture f) -> {
              if (f.isSuccess()) {
                promise.setSuccess(new Lease(f.channel(), false));
              } else {
                promise.setFailure(f.cause());
              }
            });
    return promise;
  }

  /**
   * Gives back a connection whose last exchange completed cleanly (request and response whole,
   * keep-alive on both sides); closes it instead when the pool for its peer is full.
   */
  public void release(Channel channel, AppBackend backend) {
    if (!channel.isActive() || backend.keepalive() == 0) {
      channel.close();
      return;
    }
    ArrayDeque<Channel> idleHere = idle.get().computeIfAbsent(channel.remoteAddress(), a -> new ArrayDeque<>());
    if (idleHere.size() >= backend.keepalive()) {
      channel.close();
      return;
    }
    channel.pipeline().remove(EXCHANGE);
    channel.pipeline().addLast(IDLE, new IdleHandler(idleHere, backend.keepaliveTimeout()));
    idleHere.addFirst(channel);
  }

  /** Watches an idle pooled connection: it leaves the pool on timeout, close, or unexpected data. */
  private static final class IdleHandler extends ChannelInboundHandlerAdapter {
    private final ArrayDeque<Channel> pool;
    private final Duration timeout;
    private ScheduledFuture<?> expiry;

    IdleHandler(ArrayDeque<Channel> pool, Duration timeout) {
      this.pool = pool;
      this.timeout = timeout;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      expiry = ctx.executor().schedule(() -> discard(ctx), timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
      expiry.cancel(false);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      // Nothing was asked: whatever the app sends now would be mistaken for the next answer.
      ReferenceCountUtil.release(msg);
      discard(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      pool.remove(ctx.channel());
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      discard(ctx);
    }

    private void discard(ChannelHandlerContext ctx) {
      pool.remove(ctx.channel());
      ctx.close();
    }
  }
}
