package dev.berth.edge;

import static java.util.Objects.requireNonNull;

import dev.berth.access.Gate;
import dev.berth.accesslog.AccessLog;
import dev.berth.accesslog.AccessLogEntry;
import dev.berth.config.AccessLogSpec;
import dev.berth.config.EdgeSettings;
import dev.berth.config.Listener;
import dev.berth.config.Route;
import dev.berth.routing.Router;
import dev.berth.tls.TlsSites;
import dev.berth.transport.Transport;
import dev.berth.upstream.Backends;
import dev.berth.upstream.HeaderMaps;
import dev.berth.upstream.UpstreamPool;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import javax.net.ssl.SSLException;

/**
 * The edge: listens for clients and hands each connection an {@link EdgeHandler}. Owns the
 * listening sockets and the set of open client connections, so that shutdown can stop accepting and
 * then let in-flight exchanges finish.
 */
public final class Edge {

  private static final System.Logger LOG = System.getLogger(Edge.class.getName());

  private final Transport transport;
  private final EventLoopGroup group;
  private final Router router;
  private final Backends backends;
  private final UpstreamPool pool;
  private final AccessLog accessLog;
  private final Function<Route, AccessLogSpec> logSpec;

  /**
   * The settings and the decoder config made from them, replaced together by a reload. A connection
   * reads them when its handlers are made (accepted, or woken from rest), so a reload reaches new
   * connections, not the exchanges in progress.
   */
  private volatile Live live;

  private final ServerBootstrap bootstrap;
  private final ServerBootstrap unixBootstrap;

  /** The files of the unix-socket listeners, by server channel: removed when it closes. */
  private final Map<Channel, SocketFile> socketFiles = new ConcurrentHashMap<>();

  private final ChannelGroup listening =
      new DefaultChannelGroup("listeners", GlobalEventExecutor.INSTANCE);
  private final ChannelGroup connections =
      new DefaultChannelGroup("clients", GlobalEventExecutor.INSTANCE);

  /** The server channel of each bound listener, for taking one away alone. */
  private final Map<Listener, Channel> byListener = new ConcurrentHashMap<>();

  private final Dormant dormant = new Dormant(this);

  /** The open tunnels (WebSockets and other upgraded connections). */
  private final Tunnels tunnels = new Tunnels();

  /** The apps whose routes answer 503 (berth maintenance), kept across reloads. */
  private final Maintenance maintenance = new Maintenance();

  /** The routes' access rules: their token buckets and the passwords that passed live here. */
  private volatile Gate gate = new Gate();

  /** ACME HTTP-01: token to key authorization, null when unknown (see AcmeChallengeAnswer). */
  private volatile Function<String, String> acmeAnswers = token -> null;

  /** The listener that accepted a connection: its TLS (or none) is the listener's. */
  private static final AttributeKey<Listener> LISTENER = AttributeKey.valueOf("berth.listener");

  /** The TLS listeners' certificates, and which hosts a plain listener sends to https. */
  private volatile TlsSites tls;

  private record Live(EdgeSettings settings, HttpDecoderConfig decoderConfig) {
    static Live of(EdgeSettings settings) {
      return new Live(
          settings,
          new HttpDecoderConfig()
              // The request line is the method, the target, the version and separators.
              .setMaxInitialLineLength(settings.maxUriLength() + 32)
              .setMaxHeaderSize(settings.maxHeaderSize())
              .setStrictLineParsing(true)
              .setHeadersFactory(HeaderMaps.HEADS)
              .setTrailersFactory(HeaderMaps.TRAILERS));
    }
  }

  /**
   * @param accessLog told about every completed request whose spec has logging enabled
   * @param logSpec the access log spec of a route (null: no route matched), as the running config
   *     has it; called on event loops, so it must not block
   */
  public Edge(
      Transport transport,
      EventLoopGroup group,
      EdgeSettings settings,
      Router router,
      Backends backends,
      AccessLog accessLog,
      Function<Route, AccessLogSpec> logSpec) {
    this.transport = requireNonNull(transport, "transport");
    this.group = requireNonNull(group, "group");
    this.live = Live.of(requireNonNull(settings, "settings"));
    this.router = requireNonNull(router, "router");
    this.backends = requireNonNull(backends, "backends");
    this.pool = new UpstreamPool(transport);
    // zstd's and brotli's native libraries load now, not at the first response an event loop
    // compresses.
    ContentEncoders.load();
    this.accessLog = requireNonNull(accessLog, "accessLog");
    this.logSpec = requireNonNull(logSpec, "logSpec");
    ChannelInitializer<Channel> accepted =
        new ChannelInitializer<>() {
          @Override
          protected void initChannel(Channel ch) {
            if (connections.size() >= settings().maxConnections()) {
              // As nginx at worker_connections: no answer, the connection is just closed.
              ch.close();
              return;
            }
            connections.add(ch);
            TlsSites sites = tls;
            Listener listener = ch.attr(LISTENER).get();
            ChannelHandler handshake =
                sites == null || !listener.secure() ? null : sites.handshake(listener);
            if (handshake != null) {
              ch.pipeline().addLast(new PlainOnTlsPort(), handshake, new ProtocolChoice(Edge.this));
            } else if (listener.http2Cleartext()) {
              ch.pipeline().addLast(new PriorKnowledge(Edge.this));
            }
            serve(ch.pipeline());
          }
        };
    // One for every connection: Netty's default is one per connection (32 bytes of heap on each
    // idle one); the per-connection state is in the handle each read makes anyway. Up to 16 reads
    // per wake-up: what Netty sets on a stream channel's own allocator (a shared one keeps the
    // allocator's default of 1).
    RecvByteBufAllocator reads = new AdaptiveRecvByteBufAllocator().maxMessagesPerRead(16);
    this.bootstrap =
        new ServerBootstrap()
            .group(group)
            .channel(transport.serverChannel())
            .option(ChannelOption.SO_BACKLOG, 1024)
            .option(ChannelOption.SO_REUSEADDR, true)
            // No TCP_NODELAY option here: Netty's socket channels set it already, and setting it
            // again was one more system call per accepted connection.
            .childOption(ChannelOption.RCVBUF_ALLOCATOR, reads)
            .childHandler(accepted);
    this.unixBootstrap =
        new ServerBootstrap()
            .group(group)
            .channel(transport.serverDomainChannel())
            .option(ChannelOption.SO_BACKLOG, 1024)
            .childOption(ChannelOption.RCVBUF_ALLOCATOR, reads)
            .childHandler(accepted);
  }

  /**
   * Binds every listener, or none: if one cannot be bound, those already bound are closed again.
   *
   * @return the listeners as bound, in order (with the real port where the config said 0)
   * @throws CannotListen naming the listener that could not be bound, and why
   */
  public List<Listener> bind(List<Listener> listeners) throws CannotListen {
    List<Listener> bound = new ArrayList<>();
    for (Listener listener : listeners) {
      try {
        bound.add(bind(listener));
      } catch (CannotListen e) {
        closeAll();
        throw e;
      }
    }
    return bound;
  }

  /**
   * Binds one more listener (a reload added it); the others are not touched. A unix socket's path
   * that one of this edge's listeners holds is taken over in place (its mode or group changed): the
   * old listener then keeps accepting only the connections already queued.
   *
   * @return the listener as bound (with the real port where it said 0)
   * @throws CannotListen saying why it cannot be bound (in use, and by which process; not
   *     permitted...)
   */
  public Listener bind(Listener listener) throws CannotListen {
    requireNonNull(listener, "listener");
    if (listener.isUnix()) {
      return bindUnix(listener);
    }
    InetSocketAddress address =
        listener.host().isEmpty()
            ? new InetSocketAddress(listener.port())
            : new InetSocketAddress(listener.host(), listener.port());
    ChannelFuture future =
        bootstrap.clone().childAttr(LISTENER, listener).bind(address).awaitUninterruptibly();
    if (!future.isSuccess()) {
      throw CannotListen.of(listener, address, future.cause(), PortHolder.system());
    }
    listening.add(future.channel());
    byListener.put(listener, future.channel());
    return listener.onPort(((InetSocketAddress) future.channel().localAddress()).getPort());
  }

  private Listener bindUnix(Listener listener) throws CannotListen {
    boolean ours =
        byListener.keySet().stream()
            .anyMatch(l -> l.isUnix() && l.unix().path().equals(listener.unix().path()));
    SocketFile file = SocketFile.prepare(listener, ours);
    ChannelFuture future =
        unixBootstrap
            .clone()
            .childAttr(LISTENER, listener)
            .bind(transport.unixAddress(file.bindPath()))
            .awaitUninterruptibly();
    if (!future.isSuccess()) {
      file.abandon();
      throw CannotListen.because(
          listener, "cannot listen: " + future.cause().getMessage(), future.cause());
    }
    try {
      file.place();
    } catch (CannotListen e) {
      future.channel().close().awaitUninterruptibly();
      throw e;
    }
    socketFiles.put(future.channel(), file);
    listening.add(future.channel());
    byListener.put(listener, future.channel());
    return listener;
  }

  /** Closes every listener, and removes the socket files of the unix ones. */
  private void closeAll() {
    byListener.clear();
    listening.close().awaitUninterruptibly();
    socketFiles.values().forEach(SocketFile::remove);
    socketFiles.clear();
  }

  /**
   * Takes one listener away (a reload removed it), the others untouched: it stops accepting at
   * once; each of its connections finishes its current exchange and closes (idle ones at once);
   * those still open after {@code timeout} are closed. Returns once it no longer accepts.
   */
  public void unbind(Listener listener, Duration timeout) {
    requireNonNull(listener, "listener");
    requireNonNull(timeout, "timeout");
    Channel server = byListener.remove(listener);
    if (server == null) {
      return;
    }
    server.close().awaitUninterruptibly();
    listening.remove(server);
    SocketFile file = socketFiles.remove(server);
    if (file != null) {
      file.remove();
    }
    // Accepted connections are children of the server channel that accepted them.
    List<Channel> accepted = connections.stream().filter(ch -> ch.parent() == server).toList();
    for (Channel ch : accepted) {
      ch.eventLoop().execute(() -> ch.pipeline().fireUserEventTriggered(EdgeHandler.DRAIN));
    }
    if (!accepted.isEmpty()) {
      group
          .next()
          .schedule(
              () -> accepted.stream().filter(Channel::isOpen).forEach(Channel::close),
              timeout.toNanos(),
              TimeUnit.NANOSECONDS);
    }
  }

  /**
   * New connection settings (a reload changed [edge]): they apply to connections accepted from now
   * on and to resting ones when they wake; an exchange in progress keeps its own.
   */
  public void reconfigure(EdgeSettings settings) {
    live = Live.of(requireNonNull(settings, "settings"));
  }

  /**
   * Answers ACME HTTP-01 challenges from {@code answers} (token to key authorization, null when the
   * token is unknown; called on event loops, so it must not block) on every listener: a GET for
   * {@code /.well-known/acme-challenge/TOKEN} with a known token, before any route.
   */
  public void answerAcmeChallenges(Function<String, String> answers) {
    acmeAnswers = requireNonNull(answers, "answers");
  }

  Function<String, String> acmeAnswers() {
    return acmeAnswers;
  }

  /**
   * Stops accepting, lets each connection finish its current exchange (idle ones close at once),
   * and after {@code timeout} closes whatever is left.
   */
  public void drain(Duration timeout) {
    closeAll();
    for (Channel ch : connections) {
      ch.eventLoop().execute(() -> ch.pipeline().fireUserEventTriggered(EdgeHandler.DRAIN));
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!connections.isEmpty() && System.nanoTime() < deadline) {
      sleep(20);
    }
    if (!connections.isEmpty()) {
      LOG.log(
          System.Logger.Level.WARNING,
          "closing {0} connection(s) still busy after {1}",
          connections.size(),
          timeout);
    }
    connections.close().awaitUninterruptibly();
  }

  /** Sets up a client connection's handlers: when it is accepted, and when it wakes from rest. */
  void serve(ChannelPipeline pipeline) {
    Live now = live;
    ClientTimeouts timeouts = new ClientTimeouts(now.settings());
    EdgeCodec codec = new EdgeCodec(now.decoderConfig(), timeouts);
    pipeline
        .addLast(codec.decoder())
        .addLast(codec.encoder())
        .addLast(new EdgeHandler(this, timeouts, codec));
  }

  /**
   * Turns a connection that chose HTTP/2 (by ALPN, or by its preface on an h2c listener), and has
   * not read a request yet, into an HTTP/2 one: the HTTP/1.1 handlers make way for {@link
   * Http2Pipeline}'s.
   */
  void serveHttp2(ChannelPipeline pipeline) {
    pipeline.remove(EdgeCodec.Decoder.class);
    pipeline.remove(EdgeCodec.Encoder.class);
    pipeline.remove(EdgeHandler.class);
    Http2Pipeline.serve(this, pipeline);
  }

  /** Puts an idle keep-alive connection to rest (see {@link Dormant}); on its event loop. */
  void rest(ChannelPipeline pipeline, long keepaliveDeadline) {
    dormant.rest(pipeline, keepaliveDeadline);
  }

  /**
   * The TLS side: certificates of the TLS listeners (bound from now on, and those bound already)
   * and the hosts plain listeners redirect. Set before the first bind; a reload updates the same
   * object.
   */
  public void tls(TlsSites sites) {
    this.tls = requireNonNull(sites, "sites");
  }

  /**
   * Where a plain request with this Host field is sent instead ("host" or "host:port" over https):
   * null to serve it here. Without a TLS listener nothing is looked at.
   */
  String httpsAuthority(String hostField) {
    TlsSites sites = tls;
    if (sites == null || hostField == null || !sites.redirects()) {
      return null;
    }
    return sites.httpsAuthority(HttpsRedirect.hostOf(hostField));
  }

  /** The [tls] hsts value, for TLS responses that no route matched; "" for none. */
  String defaultHsts() {
    TlsSites sites = tls;
    return sites == null ? "" : sites.hsts();
  }

  EdgeSettings settings() {
    return live.settings();
  }

  Tunnels tunnels() {
    return tunnels;
  }

  /** Open tunnels (WebSockets and other upgraded connections) per app. */
  public Map<String, Integer> openTunnels() {
    return tunnels.byApp();
  }

  /**
   * The router has new routes (a reload): tunnels whose request would no longer reach their app go
   * away (a WebSocket with 1001); the others stay open.
   */
  public void routesReplaced() {
    tunnels.rerouted(router);
  }

  UpstreamPool pool() {
    return pool;
  }

  /** Whether exchanges on {@code route} (null: none matched) go to the access log at all. */
  boolean logs(Route route) {
    return logSpec.apply(route).enabled();
  }

  void logRequest(Route route, AccessLogEntry entry) {
    accessLog.log(logSpec.apply(route), entry);
  }

  Router router() {
    return router;
  }

  Gate gate() {
    return gate;
  }

  /** Tests: a gate whose password checks run when the test says. */
  void gate(Gate gate) {
    this.gate = requireNonNull(gate, "gate");
  }

  Backends backends() {
    return backends;
  }

  public Maintenance maintenance() {
    return maintenance;
  }

  void connectionError(Throwable cause) {
    if (cause instanceof IOException) {
      return;
    }
    // A garbage record, a failed or refused handshake: the client's doing, and closed already.
    if (cause instanceof DecoderException && cause.getCause() instanceof SSLException) {
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
