package dev.berth.edge;

import static java.util.Objects.requireNonNull;

import dev.berth.config.Route;
import dev.berth.upstream.AppBackend;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.ReadTimeoutException;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Forwards one request to an instance of an app and streams the response back. Both directions
 * stream with backpressure: reading from one side pauses while the other side cannot take more.
 * Everything runs on the client connection's event loop, so no state here needs locking.
 */
final class ProxyExchange implements Exchange {

  /** Hop-by-hop fields (RFC 9110 7.6.1); Transfer-Encoding is kept: it frames the body we stream. */
  private static final List<String> HOP_BY_HOP =
      List.of("connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade");

  /** Fields a client must not be able to forge: berth sets them itself. */
  private static final List<String> EDGE_OWNED =
      List.of(
          "x-forwarded-for",
          "x-forwarded-proto",
          "x-forwarded-host",
          "x-forwarded-port",
          "x-forwarded-prefix",
          "forwarded",
          "script_name",
          "script-name");

  private static final int CONNECT_TIMEOUT_MILLIS = 5_000;
  private static final int RESPONSE_TIMEOUT_SECONDS = 60;

  private final EdgeHandler connection;
  private final ChannelHandlerContext client;
  private final Edge edge;
  private final HttpRequest request;
  private final Route route;
  private final String app;
  /** The client's own version and method: the forwarded request is rewritten to HTTP/1.1. */
  private final HttpVersion clientVersion;
  private final boolean head;
  private final ArrayDeque<HttpContent> pending = new ArrayDeque<>();
  private Channel upstream;
  private boolean requestDone;
  private boolean responseStarted;
  private boolean finished;

  ProxyExchange(
      EdgeHandler connection, ChannelHandlerContext client, Edge edge, HttpRequest request, Route route, String app) {
    this.connection = requireNonNull(connection, "connection");
    this.client = requireNonNull(client, "client");
    this.edge = requireNonNull(edge, "edge");
    this.request = requireNonNull(request, "request");
    this.route = requireNonNull(route, "route");
    this.app = requireNonNull(app, "app");
    this.clientVersion = request.protocolVersion();
    this.head = request.method().equals(HttpMethod.HEAD);
  }

  @Override
  public void start() {
    Optional<SocketAddress> instance = edge.backends().find(app).flatMap(AppBackend::pick);
    if (instance.isEmpty()) {
      fail(HttpResponseStatus.BAD_GATEWAY, "No instance of app \"" + app + "\" is ready.");
      return;
    }
    // Hold the body until the request head is on its way upstream.
    client.channel().config().setAutoRead(false);
    SocketAddress address = instance.get();
    new Bootstrap()
        .group(client.channel().eventLoop())
        .channel(edge.transport().clientChannel(address))
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MILLIS)
        .handler(
            new ChannelInitializer<>() {
              @Override
              protected void initChannel(Channel ch) {
                ch.pipeline()
                    .addLast(new HttpClientCodec())
                    .addLast(new ReadTimeoutHandler(RESPONSE_TIMEOUT_SECONDS, TimeUnit.SECONDS))
                    .addLast(new UpstreamHandler());
              }
            })
        .connect(address)
        .addListener((ChannelFuture f) -> connected(f));
  }

  private void connected(ChannelFuture future) {
    if (finished) {
      future.channel().close();
      return;
    }
    if (!future.isSuccess()) {
      fail(HttpResponseStatus.BAD_GATEWAY, "App \"" + app + "\" could not be reached.");
      return;
    }
    upstream = future.channel();
    upstream.write(forwardedRequest());
    HttpContent content;
    while ((content = pending.poll()) != null) {
      upstream.write(content);
    }
    upstream.flush();
    if (!requestDone) {
      client.channel().config().setAutoRead(upstream.isWritable());
    }
  }

  private HttpRequest forwardedRequest() {
    HttpHeaders headers = request.headers();
    stripHopByHop(headers);
    for (String name : EDGE_OWNED) {
      headers.remove(name);
    }
    headers.remove(HttpHeaderNames.EXPECT);
    SocketAddress peer = client.channel().remoteAddress();
    if (peer instanceof InetSocketAddress inet) {
      headers.set("X-Forwarded-For", inet.getAddress().getHostAddress());
    }
    headers.set("X-Forwarded-Proto", "http");
    if (headers.contains(HttpHeaderNames.HOST)) {
      headers.set("X-Forwarded-Host", headers.get(HttpHeaderNames.HOST));
    }
    if (client.channel().localAddress() instanceof InetSocketAddress local) {
      headers.set("X-Forwarded-Port", local.getPort());
    }
    String prefix = route.path().equals("/") ? "" : route.path();
    String target = originForm(request.uri());
    if (!prefix.isEmpty()) {
      headers.set("X-Forwarded-Prefix", prefix);
      if (route.stripPrefix()) {
        target = target.substring(prefix.length());
        target = target.isEmpty() || target.charAt(0) != '/' ? "/" + target : target;
      } else {
        // WSGI servers (gunicorn, uWSGI) take the mount point as SCRIPT_NAME and cut it from the
        // path they hand the app, so url_for() builds links under the prefix.
        headers.set("SCRIPT_NAME", prefix);
      }
    }
    // One connection per exchange for now; pooling keeps it open (issue 3).
    headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    request.setUri(target);
    request.setProtocolVersion(HttpVersion.HTTP_1_1);
    return request;
  }

  @Override
  public void requestContent(HttpContent content) {
    if (content instanceof LastHttpContent) {
      requestDone = true;
    }
    if (finished) {
      content.release();
      return;
    }
    if (upstream == null) {
      pending.add(content);
      return;
    }
    upstream.writeAndFlush(content);
    if (!upstream.isWritable()) {
      client.channel().config().setAutoRead(false);
    }
  }

  @Override
  public boolean requestDone() {
    return requestDone;
  }

  @Override
  public void clientWritabilityChanged(boolean writable) {
    if (upstream != null) {
      upstream.config().setAutoRead(writable);
    }
  }

  @Override
  public void abort() {
    finished = true;
    releasePending();
    if (upstream != null) {
      upstream.close();
    }
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
    releasePending();
    if (upstream != null) {
      upstream.close();
    }
    var response = Responses.error(status, detail);
    // The rest of the request body was never read: the connection cannot carry another request.
    boolean keepOpen = requestDone;
    if (!keepOpen) {
      HttpUtil.setKeepAlive(response, false);
    }
    ChannelFuture written = client.writeAndFlush(response);
    client.channel().config().setAutoRead(true);
    connection.exchangeDone(this, keepOpen, written);
  }

  private void releasePending() {
    HttpContent content;
    while ((content = pending.poll()) != null) {
      content.release();
    }
  }

  private void responseHead(HttpResponse response) {
    stripHopByHop(response.headers());
    boolean bodyless =
        head
            || response.status().code() == 204
            || response.status().code() == 304;
    if (!bodyless && !HttpUtil.isContentLengthSet(response) && !HttpUtil.isTransferEncodingChunked(response)) {
      // The app ends its body by closing; an HTTP/1.1 client can keep its connection if we chunk.
      if (clientVersion.equals(HttpVersion.HTTP_1_1)) {
        HttpUtil.setTransferEncodingChunked(response, true);
      } else {
        HttpUtil.setKeepAlive(response, false);
      }
    }
    if (connection.draining()) {
      HttpUtil.setKeepAlive(response, false);
    }
    response.setProtocolVersion(HttpVersion.HTTP_1_1);
    responseStarted = true;
    client.write(response);
  }

  private void responseEnd(LastHttpContent last) {
    finished = true;
    ChannelFuture written = client.writeAndFlush(last);
    upstream.close();
    // An app may answer before reading the whole body (a 413, say); what is left of it is unread.
    connection.exchangeDone(this, requestDone, written);
  }

  private static void stripHopByHop(HttpHeaders headers) {
    for (String listed : headers.getAll(HttpHeaderNames.CONNECTION)) {
      for (String token : listed.split(",")) {
        String name = token.trim();
        if (!name.isEmpty() && !name.equalsIgnoreCase("transfer-encoding")) {
          headers.remove(name);
        }
      }
    }
    for (String name : HOP_BY_HOP) {
      headers.remove(name);
    }
  }

  /** The request target in origin form: an absolute-form "http://h/p?q" becomes "/p?q". */
  private static String originForm(String uri) {
    int scheme = uri.indexOf("://");
    if (scheme <= 0 || scheme >= 8 || uri.startsWith("/")) {
      return uri;
    }
    int slash = uri.indexOf('/', scheme + 3);
    return slash < 0 ? "/" : uri.substring(slash);
  }

  /** The upstream connection's end of the exchange. */
  private final class UpstreamHandler extends ChannelInboundHandlerAdapter {

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (finished) {
        ReferenceCountUtil.release(msg);
        return;
      }
      if (msg instanceof HttpResponse response) {
        if (response.decoderResult().isFailure()) {
          ReferenceCountUtil.release(msg);
          fail(HttpResponseStatus.BAD_GATEWAY, "App \"" + app + "\" sent a malformed response.");
          return;
        }
        if (response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
          // 100 Continue was answered by the edge already; other interim responses are dropped.
          ReferenceCountUtil.release(msg);
          return;
        }
        responseHead(response);
      }
      if (msg instanceof HttpContent content) {
        if (content instanceof LastHttpContent last) {
          responseEnd(last);
          return;
        }
        client.write(content);
        if (!client.channel().isWritable()) {
          ctx.channel().config().setAutoRead(false);
        }
      }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      if (!finished) {
        client.flush();
      }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      if (!finished && !requestDone) {
        client.channel().config().setAutoRead(ctx.channel().isWritable());
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      fail(HttpResponseStatus.BAD_GATEWAY, "App \"" + app + "\" closed the connection before answering.");
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (cause instanceof ReadTimeoutException) {
        fail(HttpResponseStatus.GATEWAY_TIMEOUT, "App \"" + app + "\" did not answer in time.");
      } else {
        fail(HttpResponseStatus.BAD_GATEWAY, "App \"" + app + "\" connection failed.");
      }
      ctx.close();
    }
  }
}
