package dev.berth.upstream;

import static java.util.Objects.requireNonNull;

import dev.berth.config.App;
import dev.berth.config.ProbeRequest;
import dev.berth.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Active health checks: for each app that has one, a GET of its path on every peer each interval,
 * as a request routed to the app would come ({@link ProbeRequest}: its Host and prefix). A peer
 * that answers 2xx or 3xx in time is healthy; any other answer, a refused connection or silence
 * takes it out of rotation until a later check passes. Runs on the event loops, so a thousand peers
 * cost no threads.
 */
public final class HealthChecker implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(HealthChecker.class.getName());

  private final Transport transport;
  private final EventLoopGroup group;

  /** Each backend's checks; a reload starts, stops or restarts one without touching the others. */
  private final Map<AppBackend, ScheduledFuture<?>> schedules = new ConcurrentHashMap<>();

  private volatile boolean closed;

  public HealthChecker(Transport transport, EventLoopGroup group) {
    this.transport = requireNonNull(transport, "transport");
    this.group = requireNonNull(group, "group");
  }

  /** Starts checking every backend that has a health check. */
  public void start(Iterable<AppBackend> backends) {
    for (AppBackend backend : backends) {
      start(backend);
    }
  }

  /**
   * Checks the backend with its health check as it is now (none: no checks), replacing its earlier
   * checks, if any: after a reload changed the app's {@code health_check}.
   */
  public synchronized void start(AppBackend backend) {
    stop(backend);
    App.HealthCheck check = backend.healthCheck();
    if (check == null || closed) {
      return;
    }
    long interval = check.interval().toMillis();
    ProbeRequest request = ProbeRequest.of(check, backend.mount());
    schedules.put(
        backend,
        group
            .next()
            .scheduleAtFixedRate(
                () -> checkAll(backend, check, request), 0, interval, TimeUnit.MILLISECONDS));
  }

  /** No more checks of the backend (its app was removed). */
  public synchronized void stop(AppBackend backend) {
    ScheduledFuture<?> schedule = schedules.remove(backend);
    if (schedule != null) {
      schedule.cancel(false);
    }
  }

  private void checkAll(AppBackend backend, App.HealthCheck check, ProbeRequest request) {
    for (Peer peer : backend.peers()) {
      probe(backend, peer, check, request);
    }
  }

  private void probe(AppBackend backend, Peer peer, App.HealthCheck check, ProbeRequest request) {
    int timeoutMillis = (int) Math.min(Integer.MAX_VALUE, check.timeout().toMillis());
    new Bootstrap()
        .group(group.next())
        .channelFactory(transport.clientChannel(peer.address()))
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, timeoutMillis)
        .handler(
            new ChannelInitializer<>() {
              @Override
              protected void initChannel(Channel ch) {
                ch.pipeline()
                    .addLast(new HttpClientCodec())
                    .addLast(new ReadTimeoutHandler(timeoutMillis, TimeUnit.MILLISECONDS))
                    .addLast(new Probe(backend, peer, request));
              }
            })
        .connect(peer.address())
        .addListener(
            (ChannelFuture f) -> {
              if (!f.isSuccess()) {
                mark(backend, peer, false, "connection failed");
                return;
              }
              f.channel().writeAndFlush(message(request));
            });
  }

  /** The check as Netty's message: the fields of a request routed to the app, then ours. */
  static FullHttpRequest message(ProbeRequest request) {
    var message =
        new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, request.target());
    for (ProbeRequest.Field field : request.fields()) {
      message.headers().add(field.name(), field.value());
    }
    message
        .headers()
        .set(HttpHeaderNames.USER_AGENT, "berth-health-check")
        .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    return message;
  }

  private static void mark(AppBackend backend, Peer peer, boolean healthy, String why) {
    if (peer.healthy() != healthy) {
      LOG.log(
          healthy ? System.Logger.Level.INFO : System.Logger.Level.WARNING,
          "app {0}: {1} is {2} ({3})",
          backend.app(),
          peer.label(),
          healthy ? "healthy again" : "failing its health check",
          why);
    }
    peer.healthy(healthy);
  }

  @Override
  public synchronized void close() {
    closed = true;
    schedules.values().forEach(s -> s.cancel(false));
    schedules.clear();
  }

  /** Reads the status of one check's response. */
  static final class Probe extends ChannelInboundHandlerAdapter {
    private final AppBackend backend;
    private final Peer peer;
    private final ProbeRequest request;
    private boolean answered;

    Probe(AppBackend backend, Peer peer, ProbeRequest request) {
      this.backend = backend;
      this.peer = peer;
      this.request = request;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof HttpResponse response
          && !answered
          && response.status().codeClass() != HttpStatusClass.INFORMATIONAL) {
        answered = true;
        mark(
            backend,
            peer,
            request.accepts(response.status().code()),
            "status " + response.status().code());
        ctx.close();
      }
      ReferenceCountUtil.release(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (!answered) {
        mark(backend, peer, false, "closed without an answer");
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (!answered) {
        answered = true;
        mark(
            backend,
            peer,
            false,
            cause instanceof io.netty.handler.timeout.ReadTimeoutException
                ? "no answer in time"
                : "error");
      }
      ctx.close();
    }
  }
}
