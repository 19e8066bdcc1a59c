package dev.berth.edge;

import static java.util.Objects.requireNonNull;

import dev.berth.access.ClientKeys;
import dev.berth.access.Verdict;
import dev.berth.config.Route;
import dev.berth.config.TrustedProxies;
import dev.berth.upstream.AppBackend;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AsciiString;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Where a request goes: the checks, the HTTPS redirect, the route, its access rules, and the
 * exchange that answers it. The same decision for a request on an HTTP/1.1 connection (one {@code
 * Dispatch} per connection, used for each of its requests) and on an HTTP/2 stream (one per
 * stream). It also gathers the request's access log fields, which its owner writes at the end.
 */
final class Dispatch {

  private static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");

  private final Edge edge;
  private final ExchangeOwner owner;
  private final ChannelHandlerContext ctx;

  /** Where the HSTS value of the coming response goes ("" for none). */
  private final Consumer<String> hsts;

  /** The access log's protocol, or null for the request's own version. */
  private final String protocol;

  /** 0 until asked, then 1 for a TLS connection, -1 for a plain one. */
  private byte secure;

  private ClientAddress clientAddress;
  private Route route;
  private RequestLog log;

  /** An HTTP/1.1 connection's: what it needs of the connection is found when first needed. */
  Dispatch(Edge edge, ExchangeOwner owner, ChannelHandlerContext ctx, Consumer<String> hsts) {
    this.edge = requireNonNull(edge, "edge");
    this.owner = requireNonNull(owner, "owner");
    this.ctx = requireNonNull(ctx, "ctx");
    this.hsts = requireNonNull(hsts, "hsts");
    this.protocol = null;
  }

  /**
   * A stream's: {@code client} is its connection's address (a stream's pipeline has no TLS handler
   * to look at), {@code protocol} what the access log says ("HTTP/2.0").
   */
  Dispatch(
      Edge edge,
      ExchangeOwner owner,
      ChannelHandlerContext ctx,
      Consumer<String> hsts,
      ClientAddress client,
      String protocol) {
    this.edge = requireNonNull(edge, "edge");
    this.owner = requireNonNull(owner, "owner");
    this.ctx = requireNonNull(ctx, "ctx");
    this.hsts = requireNonNull(hsts, "hsts");
    this.clientAddress = requireNonNull(client, "client");
    this.protocol = requireNonNull(protocol, "protocol");
    this.secure = client.secure() ? (byte) 1 : (byte) -1;
  }

  /**
   * Whether the connection is a TLS one, found at its first request (when it is accepted, its TLS
   * handler is not in place yet): without the client's address, which a request may not need.
   */
  boolean secure() {
    if (secure == 0) {
      secure = ctx.pipeline().get(SslHandler.class) != null ? (byte) 1 : (byte) -1;
    }
    return secure > 0;
  }

  ClientAddress clientAddress() {
    if (clientAddress == null) {
      clientAddress = ClientAddress.of(ctx.channel());
    }
    return clientAddress;
  }

  /** A request begins: nothing of the last one is kept; a TLS response gets [tls] hsts so far. */
  void begin() {
    log = null;
    route = null;
    if (secure()) {
      hsts.accept(edge.defaultHsts());
    }
  }

  /** The route of the current request; null when none matched (or it was refused before). */
  Route route() {
    return route;
  }

  /** The current request's access log fields, handed over once: null after, or when not logged. */
  private RequestLog takeLog() {
    RequestLog taken = log;
    log = null;
    return taken;
  }

  /**
   * Writes the current request's access log line once {@code lastWrite} is done (or failed), with
   * the status and body bytes {@code meter} saw: nginx's 499 when no status went out (the client
   * went away before it was answered). Nothing when the request is not logged.
   */
  void logCompleted(ResponseMeter meter, ChannelFuture lastWrite) {
    RequestLog taken = takeLog();
    if (taken == null) {
      return;
    }
    Route logged = route;
    int status = meter.status() == 0 ? 499 : meter.status();
    long bytes = meter.bodyBytes();
    lastWrite.addListener(f -> edge.logRequest(logged, taken.entry(status, bytes)));
  }

  /**
   * Writes the current request's access log line when {@code tunnel} closes: {@code status} (101,
   * or an HTTP/2 stream's 200) and the bytes the tunnel carried to the client.
   */
  void logTunnel(int status, Tunnel tunnel) {
    RequestLog taken = takeLog();
    if (taken == null) {
      return;
    }
    Route logged = route;
    tunnel
        .closed()
        .thenRun(() -> edge.logRequest(logged, taken.entry(status, tunnel.bytesToClient())));
  }

  /** Whether the current request's log fields are gathered (its line will be written). */
  boolean logging() {
    return log != null;
  }

  /**
   * Starts gathering the access log's fields for {@code request}, when its route (null: none
   * matched) is logged at all: with the log off, nothing of it is made or timed.
   */
  void startLog(HttpRequest request, Route route) {
    if (edge.logs(route)) {
      String client = clientAddress().logged(client(request));
      log =
          protocol == null
              ? new RequestLog(request, client)
              : new RequestLog(request, client, protocol);
    }
  }

  /** The exchange that answers {@code request}, whose head decoded well. */
  Exchange exchangeFor(HttpRequest request) {
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
    Route matched = edge.router().route(hostField, path);
    startLog(request, matched);
    if (matched != null && secure()) {
      hsts.accept(matched.hsts());
    }
    if (matched == null) {
      return local(
          request,
          Responses.error(
              HttpResponseStatus.NOT_FOUND,
              "No route matches this host and path.",
              accept(request)));
    }
    route = matched;
    if (matched.access().guards()) {
      Verdict verdict =
          edge.gate()
              .check(
                  matched, client(request), request.headers().get(HttpHeaderNames.AUTHORIZATION));
      if (verdict instanceof Verdict.Pending pending) {
        return new DeferredExchange(owner, ctx, pending, v -> decided(v, request, matched, path));
      }
      if (!(verdict instanceof Verdict.Pass)) {
        return local(request, AccessResponses.refusal(verdict, accept(request)));
      }
    }
    return routed(request, matched, path);
  }

  /**
   * Who {@code request} comes from: the peer, or the client behind it when it is a trusted proxy
   * (null: none to tell, a unix-socket peer without a chain).
   */
  private InetAddress client(HttpRequest request) {
    ClientAddress connection = clientAddress();
    TrustedProxies trusted = edge.settings().trustedProxies();
    if (trusted.none()) {
      return connection.peer();
    }
    return ClientKeys.client(connection.peer(), connection.unix(), forwardedFor(request), trusted);
  }

  /** Every X-Forwarded-For line of the request, joined; null when it has none. */
  private static String forwardedFor(HttpRequest request) {
    List<String> lines = request.headers().getAll(X_FORWARDED_FOR);
    return lines.isEmpty() ? null : String.join(",", lines);
  }

  /** The exchange a request leads to once its password was checked. */
  private Exchange decided(Verdict verdict, HttpRequest request, Route route, String path) {
    return verdict instanceof Verdict.Pass
        ? routed(request, route, path)
        : local(request, AccessResponses.refusal(verdict, accept(request)));
  }

  /** Where the route sends a request that its rules let through. */
  private Exchange routed(HttpRequest request, Route route, String path) {
    String refusal = ExtendedConnect.refusal(ctx.channel(), route);
    if (refusal != null) {
      return local(
          request, Responses.error(HttpResponseStatus.BAD_REQUEST, refusal, accept(request)));
    }
    return switch (route.target()) {
      case Route.AppTarget app -> {
        FullHttpResponse closed = edge.maintenance().answer(route, app.app(), accept(request));
        if (closed != null) {
          yield local(request, closed);
        }
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
        yield new ProxyExchange(owner, ctx, edge, request, route, backend, log, clientAddress());
      }
      case Route.StaticTarget files -> files(request, route, files, path);
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
        yield files(request, route, serving, path);
      }
      case Route.RedirectTarget redirect ->
          local(request, AccessResponses.redirect(redirect, request));
    };
  }

  private Exchange files(HttpRequest request, Route route, Route.StaticTarget files, String path) {
    return local(
        request,
        () ->
            StaticResponder.respond(
                ctx,
                request,
                files,
                path.substring(prefixLength(route)),
                owner.draining() || !bodyWillCome(request)));
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

  private Exchange local(HttpRequest request, Supplier<ChannelFuture> respond) {
    return new LocalExchange(owner, respond, !bodyWillCome(request));
  }

  /** A response after which the connection closes: the request could not be trusted. */
  private Exchange closing(HttpRequest request, FullHttpResponse response) {
    HttpUtil.setKeepAlive(response, false);
    return new LocalExchange(owner, () -> write(response), true);
  }

  private ChannelFuture write(FullHttpResponse response) {
    if (owner.draining()) {
      HttpUtil.setKeepAlive(response, false);
    }
    return ctx.writeAndFlush(response);
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
