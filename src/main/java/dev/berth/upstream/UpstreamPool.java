package dev.berth.upstream;

import static java.util.Objects.requireNonNull;

import dev.berth.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpStatusClass;
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
 *
 * <p>Nothing is scheduled or added to a pipeline per request: each connection has one {@link
 * Connection} handler for its life, which hands events to the exchange that holds it, and one clock
 * that ticks once a second for response timeouts and idle expiry.
 */
public final class UpstreamPool {

  private static final long TICK_MILLIS = 1000;

  private final Transport transport;
  private final FastThreadLocal<Map<SocketAddress, ArrayDeque<Connection>>> idle =
      new FastThreadLocal<>() {
        @Override
        protected Map<SocketAddress, ArrayDeque<Connection>> initialValue() {
          return new HashMap<>();
        }
      };

  public UpstreamPool(Transport transport) {
    this.transport = requireNonNull(transport, "transport");
  }

  /**
   * What an exchange says of a response head that could pass through as bytes (see {@link
   * PassThrough}): whether it must be decoded after all, because the exchange will change its body
   * (compress it). Asked on the event loop while the head is scanned; keeps none of its arguments.
   */
  @FunctionalInterface
  public interface RawHeadCheck {
    /**
     * @param status the response's status
     * @param contentLength its Content-Length; 0 for a response without a body (204, 304, HEAD)
     * @param contentType its Content-Type, valid only during the call; null when it has none
     * @param transformable it has no Content-Encoding, no Content-Range and no Cache-Control
     *     no-transform
     */
    boolean decodes(
        int status, long contentLength, CharSequence contentType, boolean transformable);
  }

  /** What an exchange hears from the connection it holds. Called on the connection's event loop. */
  public interface Listener extends RawHeadCheck {
    void read(Object msg);

    void readComplete();

    void writabilityChanged(boolean writable);

    /** The connection closed or failed. */
    void broken(boolean closed);

    /** Once a second while the exchange holds the connection: for its response timeout. */
    void tick(long now);

    /** Whether the request sent is a HEAD: its response has no body, whatever its fields say. */
    boolean headRequest();

    /** Whether the exchange rewrites the response's Location field (only a decoded head can be). */
    boolean rewritesLocation();

    /**
     * Whether the exchange needs the response decoded (an {@code HttpResponse} and its {@code
     * HttpContent}s), never passed through as bytes: an HTTP/2 stream, an upgrade. (A response the
     * exchange may compress is decided from its head: {@link #decodes}.)
     */
    default boolean decodesResponse() {
      return false;
    }

    /** Passes every response that qualifies through as bytes. */
    @Override
    default boolean decodes(
        int status, long contentLength, CharSequence contentType, boolean transformable) {
      return false;
    }
  }

  /** A connection, and whether it served an exchange before (then a failure may be staleness). */
  public record Lease(Connection connection, boolean reused) {
    public Channel channel() {
      return connection.channel();
    }
  }

  /**
   * An idle connection to {@code peer} kept by {@code loop}, now bound to {@code listener}; null
   * when there is none (then {@link #connect} makes one). Must be called on {@code loop}.
   */
  public Lease takeIdle(EventLoop loop, Peer peer, Listener listener) {
    ArrayDeque<Connection> idleHere = idle.get().get(peer.address());
    Connection pooled;
    while (idleHere != null && (pooled = idleHere.pollFirst()) != null) {
      if (!pooled.channel().isActive()) {
        continue;
      }
      pooled.bind(listener);
      return new Lease(pooled, true);
    }
    return null;
  }

  /** A new connection to {@code peer} on {@code loop}, bound to {@code listener}. */
  public Promise<Lease> connect(
      EventLoop loop, Peer peer, Duration connectTimeout, Listener listener) {
    Promise<Lease> promise = loop.newPromise();
    Connection connection = new Connection();
    connection.bind(listener);
    new Bootstrap()
        .group(loop)
        .channelFactory(transport.clientChannel(peer.address()))
        .option(
            ChannelOption.CONNECT_TIMEOUT_MILLIS,
            (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()))
        .handler(
            new ChannelInitializer<>() {
              @Override
              protected void initChannel(Channel ch) {
                ch.pipeline()
                    .addLast(connection.passThrough)
                    .addLast(connection.decoder)
                    .addLast(new RequestEncoder())
                    .addLast(connection);
              }
            })
        .connect(peer.address())
        .addListener(
            (ChannelFuture f) -> {
              if (f.isSuccess()) {
                promise.setSuccess(new Lease(connection, false));
              } else {
                promise.setFailure(f.cause());
              }
            });
    return promise;
  }

  /**
   * Gives back a connection whose last exchange completed cleanly (request and response whole,
   * keep-alive on both sides); closes it instead when the pool for its peer is full, or when the
   * peer left the rotation for good (an old generation that drains: nothing would take it again).
   */
  public void release(Connection connection, AppBackend backend, Peer peer) {
    Channel channel = connection.channel();
    connection.unbind();
    if (!channel.isActive()
        || backend.keepalive() == 0
        || peer.retired()
        || connection.holdsUnaskedBytes()) {
      channel.close();
      return;
    }
    ArrayDeque<Connection> idleHere =
        idle.get().computeIfAbsent(channel.remoteAddress(), a -> new ArrayDeque<>());
    if (idleHere.size() >= backend.keepalive()) {
      channel.close();
      return;
    }
    connection.idle(backend.keepaliveTimeout().toNanos(), idleHere);
    // The exchange may have ended while it had stopped reading (its client was slow, and the
    // last piece was already on its way): a pooled connection reads, so that it notices the app
    // closing it and the next exchange hears its answer.
    if (!channel.config().isAutoRead()) {
      channel.config().setAutoRead(true);
    }
    idleHere.addFirst(connection);
  }

  /**
   * Netty's response decoder, told by the connection whether the request it answers was a HEAD.
   * Netty's HttpClientCodec does that too, but as one combined handler that costs a pipeline hop
   * per message, and by a queue of the methods sent; berth sends one request at a time.
   */
  private static final class ResponseDecoder extends HttpResponseDecoder {
    private static final HttpDecoderConfig CONFIG =
        new HttpDecoderConfig()
            .setStrictLineParsing(true)
            .setHeadersFactory(HeaderMaps.HEADS)
            .setTrailersFactory(HeaderMaps.TRAILERS);

    private final Connection connection;

    ResponseDecoder(Connection connection) {
      super(CONFIG);
      this.connection = connection;
    }

    boolean buffered() {
      return actualReadableBytes() > 0;
    }

    @Override
    protected boolean isContentAlwaysEmpty(HttpMessage msg) {
      boolean interim = ((HttpResponse) msg).status().codeClass() == HttpStatusClass.INFORMATIONAL;
      return (!interim && connection.answersHead()) || super.isContentAlwaysEmpty(msg);
    }
  }

  /** One upstream connection: the handler it keeps for its whole life. */
  public static final class Connection extends ChannelInboundHandlerAdapter {
    private final PassThrough passThrough = new PassThrough(this);
    private final ResponseDecoder decoder = new ResponseDecoder(this);
    private ChannelHandlerContext ctx;
    private Listener listener;
    private ScheduledFuture<?> clock;
    private ArrayDeque<Connection> pool;

    /** When the connection was first found idle by its clock (it is not read per exchange). */
    private long idleSince;

    private boolean idleClockStarted;
    private long idleTimeout;

    Channel channel() {
      return ctx.channel();
    }

    /**
     * The app answered 101 (Switching Protocols): the connection leaves the pool's care for good
     * and becomes one end of a byte tunnel. Its clock stops and its HTTP handlers leave the
     * pipeline (bytes read past the 101 go on as ByteBufs, from Netty's decoder); {@code next}
     * takes their place, and no exchange hears it again. On its event loop, from the exchange's
     * {@link Listener#read} of the 101.
     */
    public Channel upgrade(io.netty.channel.ChannelHandler next) {
      listener = null;
      if (clock != null) {
        clock.cancel(false);
      }
      ChannelPipeline pipeline = ctx.pipeline();
      pipeline.addLast(next);
      // This handler first: the decoder's removal hands on what it holds, which must reach next.
      pipeline.remove(this);
      pipeline.remove(RequestEncoder.class);
      pipeline.remove(passThrough);
      pipeline.remove(decoder);
      return ctx.channel();
    }

    /** Closes the connection; it is not given back. */
    public void close() {
      listener = null;
      ctx.close();
    }

    private boolean answersHead() {
      Listener holder = listener;
      return holder != null && holder.headRequest();
    }

    private void bind(Listener listener) {
      this.listener = listener;
      this.pool = null;
      passThrough.reset();
    }

    Listener listener() {
      return listener;
    }

    /** Whether Netty's decoder holds bytes of a response no exchange asked for. */
    private boolean holdsUnaskedBytes() {
      return decoder.buffered();
    }

    private void unbind() {
      this.listener = null;
    }

    /** Back in {@code pool}: its idle time counts from its next tick, up to a tick late. */
    private void idle(long timeout, ArrayDeque<Connection> pool) {
      this.idleClockStarted = false;
      this.idleTimeout = timeout;
      this.pool = pool;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      clock =
          ctx.executor()
              .scheduleAtFixedRate(this::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
      ctx.fireChannelActive();
    }

    private void tick() {
      if (listener != null) {
        listener.tick(System.nanoTime());
        return;
      }
      // The idle clock is the event loop's ticker (Netty's clock, which a test can move).
      long now = ctx.executor().ticker().nanoTime();
      if (pool != null && !idleClockStarted) {
        idleClockStarted = true;
        idleSince = now;
      } else if (pool != null && now - idleSince >= idleTimeout) {
        discard();
      }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (listener != null) {
        listener.read(msg);
        return;
      }
      // Nothing was asked: whatever the app sends now would be mistaken for the next answer.
      ReferenceCountUtil.release(msg);
      discard();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      if (listener != null) {
        listener.readComplete();
      }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      if (listener != null) {
        listener.writabilityChanged(ctx.channel().isWritable());
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (clock != null) {
        clock.cancel(false);
      }
      if (pool != null) {
        pool.remove(this);
      }
      Listener holder = listener;
      listener = null;
      if (holder != null) {
        holder.broken(true);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      Listener holder = listener;
      listener = null;
      if (holder != null) {
        holder.broken(false);
      }
      discard();
    }

    private void discard() {
      if (pool != null) {
        pool.remove(this);
      }
      ctx.close();
    }
  }
}
