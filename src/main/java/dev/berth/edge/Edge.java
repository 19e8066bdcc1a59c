package dev.berth.edge;

import static java.util.Objects.requireNonNull;

import dev.berth.config.Listener;
import dev.berth.routing.Router;
import dev.berth.transport.Transport;
import dev.berth.upstream.Backends;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The edge: listens for clients and hands each connection an {@link EdgeHandler}. Owns the
 * listening sockets and the set of open client connections, so that shutdown can stop accepting
 * and then let in-flight exchanges finish.
 */
public final class Edge {

  private static final System.Logger LOG = System.getLogger(Edge.class.getName());

  private final Transport transport;
  private final EventLoopGroup group;
  private final Router router;
  private final Backends backends;
  private final ChannelGroup listening = new DefaultChannelGroup("listeners", GlobalEventExecutor.INSTANCE);
  private final ChannelGroup connections = new DefaultChannelGroup("clients", GlobalEventExecutor.INSTANCE);

  public Edge(Transport transport, EventLoopGroup group, Router router, Backends backends) {
    this.transport = requireNonNull(transport, "transport");
    this.group = requireNonNull(group, "group");
    this.router = requireNonNull(router, "router");
    this.backends = requireNonNull(backends, "backends");
  }

  /**
   * Binds every listener, or none: if one cannot be bound, those already bound are closed again.
   *
   * @return the bound addresses, in order (with the real port where the config said 0)
   */
  public List<InetSocketAddress> bind(List<Listener> listeners) throws IOException {
    ServerBootstrap bootstrap =
        new ServerBootstrap()
            .group(group)
            .channel(transport.serverChannel())
            .option(ChannelOption.SO_BACKLOG, 1024)
            .option(ChannelOption.SO_REUSEADDR, true)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(
                new ChannelInitializer<>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    connections.add(ch);
                    ch.pipeline()
                        .addLast(new HttpServerCodec())
                        .addLast(new HttpServerKeepAliveHandler())
                        .addLast(new HttpServerExpectContinueHandler())
                        .addLast(new EdgeHandler(Edge.this));
                  }
                });
    List<InetSocketAddress> bound = new ArrayList<>();
    for (Listener listener : listeners) {
      InetSocketAddress address =
          listener.host().isEmpty()
              ? new InetSocketAddress(listener.port())
              : new InetSocketAddress(listener.host(), listener.port());
      ChannelFuture future = bootstrap.bind(address).awaitUninterruptibly();
      if (!future.isSuccess()) {
        listening.close().awaitUninterruptibly();
        throw new IOException(
            "cannot listen on " + listener.host() + ":" + listener.port() + ": " + future.cause().getMessage(),
            future.cause());
      }
      listening.add(future.channel());
      bound.add((InetSocketAddress) future.channel().localAddress());
    }
    return bound;
  }

  /**
   * Stops accepting, lets each connection finish its current exchange (idle ones close at once),
   * and after {@code timeout} closes whatever is left.
   */
  public void drain(Duration timeout) {
    listening.close().awaitUninterruptibly();
    for (Channel ch : connections) {
      ch.eventLoop().execute(() -> ch.pipeline().fireUserEventTriggered(EdgeHandler.DRAIN));
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!connections.isEmpty() && System.nanoTime() < deadline) {
      sleep(20);
    }
    if (!connections.isEmpty()) {
      LOG.log(System.Logger.Level.WARNING, "closing {0} connection(s) still busy after {1}", connections.size(), timeout);
    }
    connections.close().awaitUninterruptibly();
  }

  Transport transport() {
    return transport;
  }

  Router router() {
    return router;
  }

  Backends backends() {
    return backends;
  }

  void connectionError(Throwable cause) {
    if (cause instanceof IOException) {
      return;
    }
    LOG.log(System.Logger.Level.WARNING, "client connection failed", cause);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
