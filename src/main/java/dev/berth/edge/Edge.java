package dev.berth.edge;

import static java.util.Objects.requireNonNull;

import dev.berth.accesslog.AccessLogEntry;
import dev.berth.config.EdgeSettings;
import dev.berth.config.Listener;
import dev.berth.config.Route;
import dev.berth.routing.Router;
import dev.berth.transport.Transport;
import dev.berth.upstream.Backends;
import dev.berth.upstream.Trailers;
import dev.berth.upstream.UpstreamPool;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * The edge: listens for clients and hands each connection an {@link EdgeHandler}. Owns the
 * listening sockets and the set of open client connections, so that shutdown can stop accepting
 * and then let in-flight exchanges finish.
 */
public final class Edge {

  private static final System.Logger LOG = System.getLogger(Edge.class.getName());

  private final Transport transport;
  private final EventLoopGroup group;
  private final EdgeSettings settings;
  private final Router router;
  private final Backends backends;
  private final UpstreamPool pool;
  private final BiConsumer<Route, AccessLogEntry> accessLog;
  /** Read by each connection's decoder when it is made; never changed after. */
  private final HttpDecoderConfig decoderConfig;
  private final ChannelGroup listening = new DefaultChannelGroup("listeners", GlobalEventExecutor.INSTANCE);
  private final ChannelGroup connections = new DefaultChannelGroup("clients", GlobalEventExecutor.INSTANCE);

  /**
   * @param accessLog told about every completed request (with its route, or null when none
   *     matched); called on event loops, so it must not block
   */
  public Edge(
      Transport transport,
      EventLoopGroup group,
      EdgeSettings settings,
      Router router,
      Backends backends,
      BiConsumer<Route, AccessLogEntry> accessLog) {
    this.transport = requireNonNull(transport, "transport");
    this.group = requireNonNull(group, "group");
    this.settings = requireNonNull(settings, "settings");
    this.router = requireNonNull(router, "router");
    this.backends = requireNonNull(backends, "backends");
    this.pool = new UpstreamPool(transport);
    this.accessLog = requireNonNull(accessLog, "accessLog");
    this.decoderConfig =
        new HttpDecoderConfig()
            // The request line is the method, the target, the version and separators.
            .setMaxInitialLineLength(settings.maxUriLength() + 32)
            .setMaxHeaderSize(settings.maxHeaderSize())
            .setStrictLineParsing(true)
            .setTrailersFactory(Trailers.FACTORY);
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
                    if (connections.size() >= settings.maxConnections()) {
                      // As nginx at worker_connections: no answer, the connection is just closed.
                      ch.close();
                      return;
                    }
                    connections.add(ch);
                    serve(ch.pipeline());
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

  /** Sets up a client connection's handlers: when it is accepted, and when it wakes from rest. */
  void serve(ChannelPipeline pipeline) {
    ClientTimeouts timeouts = new ClientTimeouts(settings);
    ResponseMeter meter = new ResponseMeter();
    pipeline
        .addLast(timeouts)
        .addLast(new EdgeCodec(decoderConfig))
        .addLast(meter)
        .addLast(new KeepAlive())
        .addLast(new EdgeHandler(this, timeouts, meter));
  }

  EdgeSettings settings() {
    return settings;
  }

  UpstreamPool pool() {
    return pool;
  }

  void logRequest(Route route, AccessLogEntry entry) {
    accessLog.accept(route, entry);
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
