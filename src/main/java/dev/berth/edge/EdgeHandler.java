package dev.berth.edge;

import static java.util.Objects.requireNonNull;

import dev.berth.access.Verdict;
import dev.berth.config.Route;
import dev.berth.upstream.AppBackend;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Optional;

/**
 * One client connection: takes each request, checks it, asks the router where it goes, and runs one
 * {@link Exchange} at a time. Requests pipelined behind the current one are held (and reading
 * paused) until it completes, so responses go out in request order.
 */
final class EdgeHandler extends ChannelInboundHandlerAdapter {

  private static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");

  /** User event: the edge is shutting down; close once the current exchange completes. */
  static final Object DRAIN = new Object();

  private final Edge edge;
  private final ClientTimeouts timeouts;
  private final EdgeCodec codec;
  private final ResponseMeter meter;
  private final ArrayDeque<Object> queued = new ArrayDeque<>();
  private ChannelHandlerContext ctx;
  private Exchange current;
  private Route currentRoute;
  private RequestLog currentLog;
  private boolean draining;
  private ClientAddress clientAddress;

  /** 0 until asked, then 1 for a TLS connection, -1 for a plain one. */
  private byte secure;

  EdgeHandler(Edge edge, ClientTimeouts timeouts, EdgeCodec codec) {
    this.edge = requireNonNull(edge, "edge");
    this.timeouts = requireNonNull(timeouts, "timeouts");
    this.codec = requireNonNull(codec, "codec");
    this.meter = codec.meter();
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    // Added to a live connection when it is accepted or wakes from rest.
    if (ctx.channel().isActive()) {
      timeouts.start(this, ctx);
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    timeouts.start(this, ctx);
    ctx.fireChannelActive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    timeouts.stop();
  }

  /**
   * Whether the connection is a TLS one, found at its first request (when it is accepted, its TLS
   * handler is not in place yet): without the client's address, which a request may not need.
   */
  private boolean secure() {
    if (secure == 0) {
      secure = ctx.pipeline().get(SslHandler.class) != null ? (byte) 1 : (byte) -1;
    }
    return secure > 0;
  }

  private ClientAddress clientAddress() {
    if (clientAddress == null) {
      clientAddress = ClientAddress.of(ctx.channel());
    }
    return clientAddress;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (current == null) {
      dispatch(msg);
      return;
    }
    if (!current.requestDone()
        && msg instanceof HttpContent content
        && !(msg instanceof HttpRequest)) {
      current.requestContent(content);
      return;
    }
    queued.add(msg);
    ctx.channel().config().setAutoRead(false);
  }

  private void dispatch(Object msg) {
    if (!(msg instanceof HttpRequest request)) {
      // Body of a request already answered and closed on; nothing left to do with it.
      ReferenceCountUtil.release(msg);
      return;
    }
    timeouts.busy();
    meter.reset();
    currentLog = null;
    currentRoute = null;
    if (secure()) {
      codec.hsts(edge.defaultHsts());
    }
    if (request.decoderResult().isFailure()) {
      startLog(request, null);
      rejectMalformed(request);
      return;
    }
    try {
      Exchange exchange = exchangeFor(request);
      current = exchange;
      exchange.start();
      if (msg instanceof HttpContent content) {
        exchange.requestContent(content);
      }
    } catch (RuntimeException e) {
      internalError(e);
    }
  }

  /**
   * Starts gathering the access log's fields for {@code request}, when its route (null: none
   * matched) is logged at all: with the log off, nothing of it is made or timed.
   */
  private void startLog(HttpRequest request, Route route) {
    if (edge.logs(route)) {
      currentLog = new RequestLog(request, clientAddress());
    }
  }

  private Exchange exchangeFor(HttpRequest request) {
    Optional<RequestChecks.Rejection> rejection = RequestChecks.check(request);
    if (rejection.isPresent()) {
      startLog(request, null);
      return closing(
          request,
          Responses.error(rejection.get().status(), rejection.get().detail(), accept(request)));
    }
    String path = pathOf(request.uri());
    FullHttpResponse acme = AcmeChallengeAnswer.answer(request, path, edge.acmeAnswers());
    if (acme != null) {
      startLog(request, null);
      return local(request, acme);
    }
    String hostField = request.headers().get(HttpHeaderNames.HOST);
    if (!secure() && !HttpsRedirect.exempt(path)) {
      String authority = edge.httpsAuthority(hostField);
      if (authority != null) {
        startLog(request, null);
        return local(
            request, HttpsRedirect.to(authority, ForwardedRequest.originForm(request.uri())));
      }
    }
    Route route = edge.router().route(hostField, path);
    startLog(request, route);
    if (route != null && secure()) {
      codec.hsts(route.hsts());
    }
    if (route == null) {
      return local(
          request,
          Responses.error(
              HttpResponseStatus.NOT_FOUND,
              "No route matches this host and path.",
              accept(request)));
    }
    currentRoute = route;
    if (route.access().guards()) {
      Verdict verdict =
          edge.gate()
              .check(
                  route,
                  clientAddress().peer(),
                  forwardedFor(request),
                  edge.settings().trustedProxies(),
                  request.headers().get(HttpHeaderNames.AUTHORIZATION));
      if (verdict instanceof Verdict.Pending pending) {
        return new DeferredExchange(this, ctx, pending, v -> decided(v, request, route, path));
      }
      if (!(verdict instanceof Verdict.Pass)) {
        return local(request, AccessResponses.refusal(verdict, accept(request)));
      }
    }
    return routed(request, route, path);
  }

  /** Every X-Forwarded-For line of the request, joined; null when it has none. */
  private static String forwardedFor(HttpRequest request) {
    java.util.List<String> lines = request.headers().getAll(X_FORWARDED_FOR);
    return lines.isEmpty() ? null : String.join(",", lines);
  }

  /** The exchange a request leads to once its password was checked. */
  private Exchange decided(Verdict verdict, HttpRequest request, Route route, String path) {
    return verdict instanceof Verdict.Pass
        ? routed(request, route, path)
        : local(request, AccessResponses.refusal(verdict, accept(request)));
  }

  /**
   * A deferred exchange's verdict is in: {@code next} takes over with the body that came meanwhile,
   * unless the connection moved on (closed).
   */
  void handOver(Exchange from, Exchange next, ArrayDeque<HttpContent> body) {
    if (from != current) {
      body.forEach(ReferenceCountUtil::release);
      return;
    }
    current = next;
    if (queued.isEmpty()) {
      // Before start(): an exchange that must pause reading (connecting upstream) does it after.
      ctx.channel().config().setAutoRead(true);
    }
    try {
      next.start();
      HttpContent content;
      while ((content = body.poll()) != null) {
        next.requestContent(content);
      }
    } catch (RuntimeException e) {
      body.forEach(ReferenceCountUtil::release);
      internalError(e);
    }
  }

  /** Where the route sends a request that its rules let through. */
  private Exchange routed(HttpRequest request, Route route, String path) {
    return switch (route.target()) {
      case Route.AppTarget app -> {
        AppBackend backend = edge.backends().get(app.app());
        if (backend == null) {
          yield local(
              request,
              Responses.error(
                  HttpResponseStatus.BAD_GATEWAY,
                  "No app \"" + app.app() + "\".",
                  accept(request)));
        }
        if (RequestChecks.expectsContinue(request)
            && HttpUtil.getContentLength(request, 0L) <= route.limits().maxBodySize()) {
          // The body will be read and forwarded: tell the client to send it (the app is not asked).
          ctx.writeAndFlush(
              new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
        }
        yield new ProxyExchange(
            this, ctx, edge, request, route, backend, currentLog, clientAddress());
      }
      case Route.StaticTarget files ->
          local(
              request,
              () ->
                  StaticResponder.respond(
                      ctx,
                      request,
                      files,
                      path.substring(prefixLength(route)),
                      draining || !bodyWillCome(request)));
      case Route.ReleaseFilesTarget files -> {
        Route.StaticTarget serving = releaseFiles(files);
        if (serving == null) {
          yield local(
              request,
              Responses.error(
                  HttpResponseStatus.NOT_FOUND,
                  "No release of \"" + files.app() + "\" serves yet.",
                  accept(request)));
        }
        yield local(
            request,
            () ->
                StaticResponder.respond(
                    ctx,
                    request,
                    serving,
                    path.substring(prefixLength(route)),
                    draining || !bodyWillCome(request)));
      }
      case Route.RedirectTarget redirect ->
          local(request, AccessResponses.redirect(redirect, request));
    };
  }

  /**
   * The directory of the app's serving release, read now (a deploy's switch changes it), as a
   * static route with the defaults; null when no release of the app serves.
   */
  private Route.StaticTarget releaseFiles(Route.ReleaseFilesTarget files) {
    AppBackend backend = edge.backends().get(files.app());
    Path release = backend == null ? null : backend.release();
    return release == null
        ? null
        : new Route.StaticTarget(release.resolve(files.dir()), "", true, false);
  }

  /**
   * A client that sent "Expect: 100-continue" and was not told to continue may or may not send its
   * body; the connection cannot be trusted to carry another request after such an answer.
   */
  private static boolean bodyWillCome(HttpRequest request) {
    return !RequestChecks.expectsContinue(request);
  }

  private static String accept(HttpRequest request) {
    return request.headers().get(HttpHeaderNames.ACCEPT);
  }

  private static int prefixLength(Route route) {
    return route.path().equals("/") ? 0 : route.path().length();
  }

  /** An exchange answered by a ready-made response. */
  private Exchange local(HttpRequest request, FullHttpResponse response) {
    if (!bodyWillCome(request)) {
      HttpUtil.setKeepAlive(response, false);
    }
    return local(request, () -> write(response));
  }

  private Exchange local(HttpRequest request, java.util.function.Supplier<ChannelFuture> respond) {
    return new LocalExchange(this, respond, !bodyWillCome(request));
  }

  /** A response after which the connection closes: the request could not be trusted. */
  private Exchange closing(HttpRequest request, FullHttpResponse response) {
    HttpUtil.setKeepAlive(response, false);
    return new LocalExchange(this, () -> write(response), true);
  }

  private ChannelFuture write(FullHttpResponse response) {
    if (draining) {
      HttpUtil.setKeepAlive(response, false);
    }
    return ctx.writeAndFlush(response);
  }

  private void rejectMalformed(HttpRequest request) {
    Throwable cause = request.decoderResult().cause();
    HttpResponseStatus status = HttpResponseStatus.BAD_REQUEST;
    String detail = "Malformed request.";
    if (cause instanceof TooLongHttpLineException) {
      status = HttpResponseStatus.REQUEST_URI_TOO_LONG;
      detail = "Request line too long.";
    } else if (cause instanceof TooLongHttpHeaderException) {
      status = HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE;
      detail = "Request header fields too large.";
    } else if (cause instanceof TooLongFrameException) {
      detail = "Request too large.";
    }
    ReferenceCountUtil.release(request);
    closeWith(Responses.error(status, detail));
  }

  /** Answers outside any exchange and closes: the connection's framing is lost or done. */
  private void closeWith(FullHttpResponse response) {
    HttpUtil.setKeepAlive(response, false);
    ChannelFuture written = ctx.writeAndFlush(response);
    logCompleted(written);
    written.addListener(ChannelFutureListener.CLOSE);
    drop();
  }

  /** A bug of berth's: answer 500 if we still can, log it, and close; the daemon goes on. */
  private void internalError(RuntimeException e) {
    edge.connectionError(e);
    if (current != null) {
      current.abort();
      current = null;
    }
    closeWith(
        Responses.error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "Internal error in berth."));
  }

  /**
   * Whether {@link #exchangeDone} will wait on the exchange's last write (to close after it, or to
   * log it): if not, that write can do without a promise of its own.
   */
  boolean watchesLastWrite(boolean keepOpen) {
    return !keepOpen || draining || currentLog != null;
  }

  /**
   * The current exchange is over. The connection then closes (when asked to, or when the edge
   * drains) once {@code lastWrite} is flushed, or goes on with the next queued request.
   */
  void exchangeDone(Exchange exchange, boolean keepOpen, ChannelFuture lastWrite) {
    if (exchange != current) {
      return;
    }
    current = null;
    logCompleted(lastWrite);
    if (!keepOpen || draining) {
      lastWrite.addListener(codec.closer);
      drop();
      return;
    }
    timeouts.idle();
    while (!queued.isEmpty()) {
      Object msg = queued.poll();
      if (current == null) {
        dispatch(msg);
      } else if (!current.requestDone()
          && msg instanceof HttpContent content
          && !(msg instanceof HttpRequest)) {
        current.requestContent(content);
      } else {
        queued.addFirst(msg);
        return;
      }
    }
    ctx.channel().config().setAutoRead(true);
    // A request that asked to switch protocols and did not: what the client sent after it is
    // decoded now.
    codec.decoder().resume(ctx.pipeline().context(codec.decoder()));
  }

  /**
   * The current exchange became a {@link Tunnel} (its app answered 101), and this handler leaves
   * the pipeline: the access log line is written when the tunnel closes, with the bytes it carried
   * to the client.
   */
  void upgraded(Exchange exchange, Tunnel tunnel) {
    if (exchange != current) {
      return;
    }
    current = null;
    RequestLog log = currentLog;
    Route route = currentRoute;
    currentLog = null;
    if (log != null) {
      tunnel.closed().thenRun(() -> edge.logRequest(route, log.entry(101, tunnel.bytesToClient())));
    }
  }

  /** Writes the access log line once the response is out (or failed to go out). */
  private void logCompleted(ChannelFuture lastWrite) {
    RequestLog log = currentLog;
    Route route = currentRoute;
    currentLog = null;
    if (log == null) {
      return;
    }
    // nginx's 499: the client went away before it was answered.
    int status = meter.status() == 0 ? 499 : meter.status();
    long bytes = meter.bodyBytes();
    lastWrite.addListener(f -> edge.logRequest(route, log.entry(status, bytes)));
  }

  boolean draining() {
    return draining;
  }

  /** The request head did not arrive in time (the clocks said so). */
  void headerTimedOut() {
    // No request is in progress in berth's view: only part of a head arrived.
    closeWith(
        Responses.error(
            HttpResponseStatus.REQUEST_TIMEOUT, "The request head did not arrive in time."));
  }

  /**
   * The connection has waited for its next request for a beat or more (the clocks said so): it is
   * put to rest (see {@link Dormant}) if nothing is half-done on it.
   */
  void mayRest() {
    boolean quiet =
        current == null
            && queued.isEmpty()
            && !draining
            && ctx.channel().config().isAutoRead()
            && codec.atRest();
    if (quiet) {
      edge.rest(ctx.pipeline(), timeouts.keepaliveDeadline());
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt != DRAIN) {
      super.userEventTriggered(ctx, evt);
      return;
    }
    draining = true;
    if (current == null) {
      ctx.close();
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (current != null) {
      current.clientWritabilityChanged(ctx.channel().isWritable());
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    timeouts.stop();
    if (current != null) {
      current.abort();
      current = null;
      logCompleted(ctx.newSucceededFuture());
    }
    drop();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // Resets and broken pipes are a client's right; nothing to report for them.
    edge.connectionError(cause);
    ctx.close();
  }

  private void drop() {
    Object msg;
    while ((msg = queued.poll()) != null) {
      ReferenceCountUtil.release(msg);
    }
  }

  /** "/a/b?x=1" -> "/a/b"; an absolute-form target "http://h/a?x" -> "/a". */
  static String pathOf(String uri) {
    String target = ForwardedRequest.originForm(uri);
    int query = target.indexOf('?');
    if (query >= 0) {
      target = target.substring(0, query);
    }
    return target.isEmpty() ? "/" : target;
  }
}
