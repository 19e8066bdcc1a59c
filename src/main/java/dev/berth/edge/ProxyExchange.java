package dev.berth.edge;

import static java.util.Objects.requireNonNull;

import dev.berth.config.Route;
import dev.berth.config.RouteLimits;
import dev.berth.upstream.AppBackend;
import dev.berth.upstream.Peer;
import dev.berth.upstream.RawBody;
import dev.berth.upstream.RawResponse;
import dev.berth.upstream.RequestOutcome;
import dev.berth.upstream.UpstreamPool;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;

/**
 * Forwards one request to an instance of an app and streams the response back.
 *
 * <ul>
 *   <li>Both directions stream with backpressure: reading from one side pauses while the other
 *       cannot take more.
 *   <li>Connections come from the {@link UpstreamPool} and go back only after a clean exchange.
 *   <li>A request moves to another instance when that is safe (see {@link RetryRule}): the
 *       connection failed before the request went out; or the request went out and was lost, but is
 *       idempotent, has no body, and the app's {@code retries} are not used up.
 * </ul>
 *
 * The request body's holding and counting is {@link RequestBody}'s, the instances tried and the
 * retry decision {@link UpstreamTries}'. Everything runs on the client connection's event loop, so
 * nothing here needs locking.
 */
final class ProxyExchange implements Exchange {

  private final ExchangeOwner clientConnection;
  private final ChannelHandlerContext client;
  private final Edge edge;
  private final HttpRequest request;
  private final HttpRequest forwarded;
  private final Route route;
  private final AppBackend backend;
  private final RouteLimits limits;

  /** The protocol switch the request asks for and its route allows; null for none. */
  private final SwitchingProtocols upgrade;

  /** The access log's fields of this exchange; null when its route is not logged. */
  private final RequestLog log;

  private final boolean head;

  /** The request's body on its way to the app. */
  private final RequestBody body;

  /** Its response's compression at the edge (the route's compress), or NONE. */
  private final ResponseCompression compression;

  /** The instances this request tried, and how. */
  private final UpstreamTries tries = new UpstreamTries();

  /** Hears the upstream connection this exchange holds, whichever that is (one per exchange). */
  private final UpstreamListener listener = new UpstreamListener();

  private Peer peer;

  /** The upstream connection while this exchange holds it, and its channel. */
  private UpstreamPool.Connection connection;

  private Channel upstream;

  /** The connection came from the pool: a failure before any answer may just mean it went stale. */
  private boolean reused;

  /** The response timeout's clock: how long the upstream side has been quiet. */
  private final QuietClock quiet = new QuietClock();

  private boolean responseStarted;
  private boolean upstreamKeepAlive;

  /** An interim (1xx) response was dropped: its empty end must be dropped too. */
  private boolean inInterim;

  private boolean finished;

  /** The status the client got or gets (for a drain that watches the instance), or 0. */
  private int answered;

  /** Why the app's side of this try ended early (for a drain that watches it), or null. */
  private RequestOutcome.Cause cause;

  ProxyExchange(
      ExchangeOwner connection,
      ChannelHandlerContext client,
      Edge edge,
      HttpRequest request,
      Route route,
      AppBackend backend,
      RequestLog log,
      ClientAddress clientAddress) {
    this.clientConnection = requireNonNull(connection, "connection");
    this.client = requireNonNull(client, "client");
    this.edge = requireNonNull(edge, "edge");
    this.request = requireNonNull(request, "request");
    this.route = requireNonNull(route, "route");
    this.backend = requireNonNull(backend, "backend");
    this.log = log;
    this.limits = route.limits();
    this.head = request.method().equals(HttpMethod.HEAD);
    this.body = new RequestBody(request, limits.maxBodySize());
    this.upgrade = SwitchingProtocols.asked(edge, connection, client, request, route);
    this.forwarded = ForwardedRequest.of(request, route, clientAddress, edge.settings());
    if (upgrade != null) {
      upgrade.ask(forwarded);
    }
    this.compression = ResponseCompression.forRequest(request, route, client.alloc());
  }

  @Override
  public void start() {
    if (HttpUtil.getContentLength(request, 0L) > limits.maxBodySize()) {
      fail(
          HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
          "The request body is larger than this route accepts.");
      return;
    }
    if (upgrade != null && upgrade.full()) {
      fail(HttpResponseStatus.SERVICE_UNAVAILABLE, "Too many open WebSockets.");
      return;
    }
    tryNextPeer();
  }

  private void tryNextPeer() {
    Peer next = tries.pick(backend);
    if (next == null) {
      if (tries.tried()) {
        logUpstream();
      }
      fail(
          HttpResponseStatus.BAD_GATEWAY,
          !tries.failedAny()
              ? "No instance of app \"" + backend.app() + "\" is ready."
              : "App \"" + backend.app() + "\" could not be reached.");
      return;
    }
    peer = next;
    peer.begin();
    if (log != null) {
      log.upstreamTried(peer.label());
    }
    UpstreamPool.Lease idle =
        tries.freshConnection()
            ? null
            : edge.pool().takeIdle(client.channel().eventLoop(), peer, listener);
    if (idle != null) {
      leased(idle);
      return;
    }
    Future<UpstreamPool.Lease> lease =
        edge.pool()
            .connect(client.channel().eventLoop(), peer, limits.upstreamConnectTimeout(), listener);
    body.holdWhileConnecting(client.channel());
    lease.addListener((Future<UpstreamPool.Lease> f) -> acquired(f));
  }

  private void acquired(Future<UpstreamPool.Lease> future) {
    if (!future.isSuccess()) {
      peer.end(RequestOutcome.Kind.NOT_SENT, null, request, 0, tries.started());
      if (finished) {
        return;
      }
      // Refused or timed out (as nginx counts both): nothing reached the app, so the next
      // instance may always be tried.
      peer.failed();
      tries.skip(peer);
      tryNextPeer();
      return;
    }
    leased(future.getNow());
  }

  private void leased(UpstreamPool.Lease lease) {
    if (finished) {
      lease.connection().close();
      peer.end(RequestOutcome.Kind.NOT_SENT, null, request, 0, tries.started());
      return;
    }
    cause = null;
    connection = lease.connection();
    upstream = lease.channel();
    reused = lease.reused();
    quiet.stir();
    // Not ref-counted, and the encoder does not change it: the same head serves a retry too.
    // Void promises: nothing waits on these writes, and a failed one closes the connection
    // through its pipeline's exceptionCaught; a promise per write was 5% of the bytes allocated.
    upstream.write(forwarded, upstream.voidPromise());
    body.writeHeld(upstream);
    upstream.flush();
    if (body.resumeAfterConnect() || !upstream.isWritable()) {
      client.channel().config().setAutoRead(body.done() || upstream.isWritable());
    }
  }

  @Override
  public void requestContent(HttpContent content) {
    if (finished) {
      body.drop(content);
      return;
    }
    switch (body.take(content, upstream)) {
      case SENT -> {
        quiet.stir();
        if (!upstream.isWritable()) {
          client.channel().config().setAutoRead(false);
        }
      }
      case MALFORMED -> fail(HttpResponseStatus.BAD_REQUEST, "Malformed request body.");
      case TOO_LARGE ->
          fail(
              HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
              "The request body is larger than this route accepts.");
      case HELD -> {}
    }
  }

  @Override
  public boolean requestDone() {
    return body.done();
  }

  @Override
  public void clientWritabilityChanged(boolean writable) {
    if (upstream != null) {
      upstream.config().setAutoRead(writable);
    }
  }

  @Override
  public void abort() {
    if (finished) {
      return;
    }
    finished = true;
    body.release();
    compression.abandon();
    closeUpstream();
  }

  /**
   * The upstream connection failed after the request went out, before a response began. Retry
   * elsewhere when {@link RetryRule} allows. A pooled connection that turned out closed says
   * nothing sure about the instance; a fresh one that failed does.
   */
  private void upstreamFailed(HttpResponseStatus status, String detail, boolean instanceAtFault) {
    if (finished) {
      return;
    }
    if (responseStarted) {
      logUpstream();
      abort();
      client.close();
      return;
    }
    if (instanceAtFault && !reused) {
      peer.failed();
    }
    boolean retry =
        status == HttpResponseStatus.BAD_GATEWAY
            && tries.retryAfterLoss(
                request.method(), body.present(), backend.retries(), peer, reused);
    answered = retry ? 0 : status.code();
    closeUpstream();
    if (retry) {
      tryNextPeer();
      return;
    }
    logUpstream();
    fail(status, detail);
  }

  /** Answers with an error page when nothing was sent to the client yet, else cuts the response. */
  private void fail(HttpResponseStatus status, String detail) {
    if (finished) {
      return;
    }
    if (responseStarted) {
      abort();
      client.close();
      return;
    }
    finished = true;
    answered = status.code();
    cause = connection == null ? cause : RequestOutcome.Cause.REFUSED;
    body.release();
    closeUpstream();
    var response =
        AccessResponses.error(route, status, detail, request.headers().get(HttpHeaderNames.ACCEPT));
    // A body not read to its end leaves the connection unusable for another request.
    boolean keepOpen = body.done();
    if (!keepOpen) {
      HttpUtil.setKeepAlive(response, false);
    }
    ChannelFuture written = client.writeAndFlush(response);
    client.channel().config().setAutoRead(true);
    clientConnection.exchangeDone(this, keepOpen, written);
  }

  /** Tells the access log how long the instances tried took, from the first try to the end. */
  private void logUpstream() {
    if (log != null) {
      log.upstreamDone(System.nanoTime() - tries.started());
    }
  }

  private void closeUpstream() {
    if (connection != null) {
      connection.close();
      connection = null;
      upstream = null;
      RequestOutcome.Kind how = RequestOutcome.Kind.cut(cause, responseStarted, answered);
      peer.end(how, cause, request, answered, tries.started());
    }
  }

  private void responseHead(HttpResponse response) {
    upstreamKeepAlive =
        HttpUtil.isKeepAlive(response) && response.protocolVersion().equals(HttpVersion.HTTP_1_1);
    AppResponseHead.prepare(response, request, route, head, closesClient(), compression);
    responseStarted = true;
    answered = response.status().code();
    client.write(response, client.voidPromise());
  }

  /**
   * Whether the client's connection closes after this response, said in its head (RFC 9112 9.6):
   * when the edge drains, or when the app answers before the request body is all here (an early 413
   * or 401): the rest of the body may never come. The connection then closes after the response, by
   * a {@link Lingering} close while the client is still sending.
   */
  private boolean closesClient() {
    return clientConnection.draining() || !body.done();
  }

  /** The head of a response that passes through as bytes (see upstream.PassThrough). */
  private void rawResponseHead(RawResponse response) {
    upstreamKeepAlive = response.keepAlive();
    answered = response.status();
    if (closesClient()) {
      response.closeClientConnection();
    }
    responseStarted = true;
    client.write(response, client.voidPromise());
  }

  /** The response's last piece: a LastHttpContent, or a RawBody marked last. */
  private void responseEnd(Object last) {
    finished = true;
    logUpstream();
    peer.succeeded();
    ChannelFuture written =
        client.writeAndFlush(
            last,
            clientConnection.watchesLastWrite(body.done())
                ? client.newPromise()
                : client.voidPromise());
    UpstreamPool.Connection done = connection;
    connection = null;
    upstream = null;
    peer.end(RequestOutcome.Kind.FINISHED, null, request, answered, tries.started());
    if (body.done() && upstreamKeepAlive) {
      edge.pool().release(done, backend, peer);
    } else {
      done.close();
    }
    // An app may answer before reading the whole body (a 413, say); what is left of it is unread.
    clientConnection.exchangeDone(this, body.done(), written);
  }

  /** The upstream connection's end of the exchange. */
  private final class UpstreamListener implements UpstreamPool.Listener {

    @Override
    public void read(Object msg) {
      if (finished) {
        ReferenceCountUtil.release(msg);
        return;
      }
      quiet.stir();
      if (msg instanceof RawResponse response) {
        rawResponseHead(response);
        return;
      }
      if (msg instanceof RawBody raw) {
        if (raw.last()) {
          responseEnd(raw);
        } else {
          forward(raw);
        }
        return;
      }
      if (msg instanceof HttpResponse response) {
        if (response.decoderResult().isFailure()
            || !ForwardedRequest.framingIsUnambiguous(response)) {
          ReferenceCountUtil.release(msg);
          malformed();
          return;
        }
        if (upgrade != null && response.status().code() == 101) {
          // The connection and the peer's count are the tunnel's (or closed by a refusal) now.
          finished = true;
          logUpstream();
          UpstreamPool.Connection switched = connection;
          connection = null;
          upstream = null;
          upgrade.switched(
              ProxyExchange.this, switched, peer, backend.app(), response, body.done());
          return;
        }
        if (response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
          // 100 Continue was answered by the edge already; other interim responses are dropped.
          inInterim = true;
          ReferenceCountUtil.release(msg);
          return;
        }
        responseHead(response);
      }
      if (msg instanceof HttpContent content && inInterim) {
        inInterim = !(content instanceof LastHttpContent);
        content.release();
        return;
      }
      if (msg instanceof HttpContent piece) {
        if (piece.decoderResult().isFailure()) {
          piece.release();
          malformed();
          return;
        }
        HttpContent content = compression.encode(piece);
        if (content == null) {
          return;
        }
        if (content instanceof LastHttpContent last) {
          responseEnd(last);
          return;
        }
        forward(content);
      }
    }

    private void malformed() {
      cause = RequestOutcome.Cause.MALFORMED;
      upstreamFailed(
          HttpResponseStatus.BAD_GATEWAY,
          "App \"" + backend.app() + "\" sent a malformed response.",
          false);
    }

    /**
     * A piece of the response body to the client; reading upstream pauses while it cannot take
     * more.
     */
    private void forward(Object piece) {
      client.write(piece, client.voidPromise());
      if (!client.channel().isWritable()) {
        upstream.config().setAutoRead(false);
      }
    }

    @Override
    public void readComplete() {
      if (!finished) {
        HttpContent compressed = compression.flush();
        if (compressed != null) {
          forward(compressed);
        }
        client.flush();
      }
    }

    @Override
    public void writabilityChanged(boolean writable) {
      if (!finished && !body.done()) {
        client.channel().config().setAutoRead(writable);
      }
    }

    @Override
    public void broken(boolean closed) {
      if (connection == null) {
        return;
      }
      String detail = closed ? "closed the connection before answering." : "connection failed.";
      cause = closed ? RequestOutcome.Cause.CLOSED : RequestOutcome.Cause.FAILED;
      upstreamFailed(
          HttpResponseStatus.BAD_GATEWAY, "App \"" + backend.app() + "\" " + detail, true);
    }

    @Override
    public boolean headRequest() {
      return head;
    }

    @Override
    public boolean decodesResponse() {
      return upgrade != null || clientConnection.decodesResponses();
    }

    @Override
    public boolean decodes(int status, long length, CharSequence type, boolean transformable) {
      return compression.compressesRaw(status, length, type, transformable);
    }

    @Override
    public boolean rewritesLocation() {
      return ForwardedRequest.rewritesLocation(route);
    }

    /** proxy_read_timeout: the app may not stay silent longer than the route allows. */
    @Override
    public void tick(long now) {
      if (quiet.quietFor(now, limits.upstreamResponseTimeout().toNanos())
          && !finished
          && connection != null) {
        cause = RequestOutcome.Cause.TIMED_OUT;
        upstreamFailed(
            HttpResponseStatus.GATEWAY_TIMEOUT,
            "App \"" + backend.app() + "\" did not answer in time.",
            false);
      }
    }
  }
}
