package dev.berth.edge;

import static java.util.Objects.requireNonNull;

import dev.berth.config.Route;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2StreamFrame;
import io.netty.util.AsciiString;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * WebSocket over HTTP/2 (RFC 8441): a stream that opens with an extended CONNECT ({@code :method
 * CONNECT}, {@code :protocol websocket}) is routed as a GET to its {@code :path}, and goes to the
 * app as an HTTP/1.1 upgrade, with a {@code Sec-WebSocket-Key} of berth's. The app's 101, its
 * {@code Sec-WebSocket-Accept} checked, is answered on the stream with {@code :status 200}, and the
 * stream's DATA frames become the bytes of a {@link Tunnel} to the app's connection: the WebSocket
 * frames themselves pass unchanged.
 *
 * <p>One per stream, first in its pipeline (before Netty's stream codec, which knows nothing of
 * {@code :protocol} and would make a CONNECT's URI of its authority). Until the switch, DATA frames
 * the client sent early are held; after it, this handler turns DATA frames into bytes and back,
 * ends the stream (END_STREAM) when the tunnel closes it, and closes the tunnel's end when the
 * client ends the stream.
 */
final class ExtendedConnect extends ChannelDuplexHandler {

  /** The protocol an extended CONNECT asked for, on its stream's channel. */
  private static final AttributeKey<String> PROTOCOL =
      AttributeKey.valueOf(ExtendedConnect.class, "protocol");

  /** The tunnels of a connection's streams, on its channel: a drain makes them go away. */
  private static final AttributeKey<Set<Tunnel>> TUNNELS =
      AttributeKey.valueOf(ExtendedConnect.class, "tunnels");

  private static final String WEBSOCKET = "websocket";

  /**
   * Bytes a client may send before the 200 (a WebSocket client sends none): they are held, and the
   * stream's window is given back as they are, so past this the stream is reset.
   */
  static final int MAX_EARLY_BYTES = 64 * 1024;

  /** RFC 6455 1.3: what the key is hashed with for Sec-WebSocket-Accept. */
  private static final byte[] GUID =
      "258EAFA5-E914-47DA-95CA-C5AB0DC85B11".getBytes(StandardCharsets.US_ASCII);

  private static final AsciiString SEC_WEBSOCKET_VERSION = AsciiString.cached("13");

  private boolean started;

  /** Bytes the client sent before the switch; null when the stream is no extended CONNECT. */
  private ArrayDeque<ByteBuf> early;

  private int earlyBytes;
  private boolean clientEnded;
  private boolean tunneling;
  private boolean endSent;

  /** The protocol {@code stream}'s extended CONNECT asked for; null for any other request. */
  static String protocolOf(Channel stream) {
    return stream.hasAttr(PROTOCOL) ? stream.attr(PROTOCOL).get() : null;
  }

  /**
   * Why {@code route} refuses the extended CONNECT of {@code stream}: null when it lets it through
   * (or the stream is no extended CONNECT). A route that does not allow the protocol cannot answer
   * the request as a plain GET (the client waits for a tunnel), so it gets a 400.
   */
  static String refusal(Channel stream, Route route) {
    String protocol = protocolOf(stream);
    if (protocol == null) {
      return null;
    }
    if (!(route.target() instanceof Route.AppTarget app) || !app.allowsUpgrade(protocol)) {
      return "This route does not let \"" + protocol + "\" through (its upgrades).";
    }
    if (!protocol.equalsIgnoreCase(WEBSOCKET)) {
      return "Only WebSocket is carried over HTTP/2 (RFC 8441), not \"" + protocol + "\".";
    }
    return null;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!started && msg instanceof Http2HeadersFrame frame) {
      started = true;
      Http2Headers headers = frame.headers();
      CharSequence protocol = headers.get(Http2Headers.PseudoHeaderName.PROTOCOL.value());
      if (protocol == null || !HttpMethod.CONNECT.asciiName().contentEquals(headers.method())) {
        // Any other request (a CONNECT without :protocol too, which RequestChecks refuses).
        ctx.pipeline().remove(this);
        ctx.fireChannelRead(msg);
        return;
      }
      ctx.channel().attr(PROTOCOL).set(protocol.toString());
      early = new ArrayDeque<>();
      clientEnded = frame.isEndStream();
      // Routed as a GET to :path whose request ends here: what follows are the tunnel's bytes.
      headers.remove(Http2Headers.PseudoHeaderName.PROTOCOL.value());
      headers.method(HttpMethod.GET.asciiName());
      ctx.fireChannelRead(new DefaultHttp2HeadersFrame(headers, true).stream(frame.stream()));
      return;
    }
    if (early == null) {
      ctx.fireChannelRead(msg);
      return;
    }
    if (msg instanceof Http2DataFrame data) {
      ByteBuf bytes = data.content().retain();
      boolean end = data.isEndStream();
      data.release();
      if (tunneling) {
        ctx.fireChannelRead(bytes);
        if (end) {
          ctx.close();
        }
        return;
      }
      earlyBytes += bytes.readableBytes();
      early.add(bytes);
      clientEnded |= end;
      if (earlyBytes > MAX_EARLY_BYTES) {
        releaseEarly();
        ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.ENHANCE_YOUR_CALM))
            .addListener(ChannelFutureListener.CLOSE);
      }
      return;
    }
    if (msg instanceof Http2HeadersFrame trailers && trailers.isEndStream()) {
      clientEnded = true;
      if (tunneling) {
        ctx.close();
      }
    }
    ReferenceCountUtil.release(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (tunneling && msg instanceof ByteBuf bytes) {
      if (!bytes.isReadable()) {
        // The tunnel's flush before a close: no empty DATA frame for it.
        bytes.release();
        promise.setSuccess();
        return;
      }
      ctx.write(new DefaultHttp2DataFrame(bytes, false), promise);
      return;
    }
    if (early != null
        && !tunneling
        && !clientEnded
        && msg instanceof Http2StreamFrame frame
        && endsStream(frame)) {
      // No tunnel (a refusal, the app's own answer): once it is out, the client is told to stop
      // sending, without an error (RFC 9113 8.1), as StreamHandler does for a body not read.
      ChannelPromise sent = promise.unvoid();
      ctx.write(msg, sent);
      sent.addListener(
          f -> {
            if (ctx.channel().isActive()) {
              ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.NO_ERROR))
                  .addListener(ChannelFutureListener.CLOSE);
            }
          });
      return;
    }
    ctx.write(msg, promise);
  }

  private static boolean endsStream(Http2StreamFrame frame) {
    return frame instanceof Http2HeadersFrame headers
        ? headers.isEndStream()
        : frame instanceof Http2DataFrame data && data.isEndStream();
  }

  @Override
  public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
    // A tunnel that ends ends the stream as a TCP connection's FIN would (RFC 8441 4); Netty
    // resets it after that if the client had not ended its side.
    if (tunneling && !endSent && ctx.channel().isActive()) {
      endSent = true;
      ctx.writeAndFlush(new DefaultHttp2DataFrame(true));
    }
    ctx.close(promise);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    releaseEarly();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    releaseEarly();
    ctx.fireChannelInactive();
  }

  private void releaseEarly() {
    if (early != null) {
      early.forEach(ReferenceCountUtil::release);
      early.clear();
    }
  }

  /**
   * What the app is asked: an HTTP/1.1 WebSocket handshake, with a key of berth's (returned, to
   * check the app's answer with); the client's Sec-WebSocket-Version, -Protocol and -Extensions go
   * on as they are (version 13 when it named none).
   */
  static String ask(HttpRequest forwarded) {
    byte[] nonce = new byte[16];
    ThreadLocalRandom.current().nextBytes(nonce);
    String key = Base64.getEncoder().encodeToString(nonce);
    HttpHeaders headers = forwarded.headers();
    headers.set(HttpHeaderNames.SEC_WEBSOCKET_KEY, key);
    if (!headers.contains(HttpHeaderNames.SEC_WEBSOCKET_VERSION)) {
      headers.set(HttpHeaderNames.SEC_WEBSOCKET_VERSION, SEC_WEBSOCKET_VERSION);
    }
    // The request ended with its HEADERS frame: no body to announce to the app.
    headers.remove(HttpHeaderNames.CONTENT_LENGTH).remove(HttpHeaderNames.TRANSFER_ENCODING);
    return key;
  }

  /** Whether the app's 101 carries the Sec-WebSocket-Accept that {@code key} calls for. */
  static boolean accepts(HttpResponse response, String key) {
    String accept = response.headers().get(HttpHeaderNames.SEC_WEBSOCKET_ACCEPT);
    return accept != null && accept.strip().equals(acceptFor(key));
  }

  static String acceptFor(String key) {
    try {
      MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
      sha1.update(key.getBytes(StandardCharsets.US_ASCII));
      return Base64.getEncoder().encodeToString(sha1.digest(GUID));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is part of every JDK", e);
    }
  }

  /**
   * The stream's answer to the app's 101: {@code :status 200} with the app's fields, less those of
   * the HTTP/1.1 handshake (RFC 8441 5: the 200 ends the handshake, Sec-WebSocket-Protocol and
   * -Extensions go on).
   */
  static HttpResponse answer(HttpResponse switched) {
    HttpHeaders headers = switched.headers();
    ForwardedRequest.stripHopByHop(headers);
    headers.remove(HttpHeaderNames.SEC_WEBSOCKET_ACCEPT);
    return new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, headers);
  }

  /**
   * The 200 is written: the stream's HTTP handlers leave its pipeline, and {@code clientEnd} (the
   * tunnel's) takes their place.
   */
  static void tunnel(ChannelPipeline stream, ChannelHandler clientEnd) {
    requireNonNull(clientEnd, "clientEnd");
    ExtendedConnect self = stream.get(ExtendedConnect.class);
    self.tunneling = true;
    // Netty's stream codec, StreamResponses and StreamHandler: all that came after this one.
    while (stream.last() != self) {
      stream.removeLast();
    }
    stream.addLast(clientEnd);
  }

  /**
   * {@code tunnel} carries {@code stream}: it goes away (1001) when the stream's connection drains,
   * as an HTTP/1.1 connection's does (a GOAWAY alone would leave it open until the drain timeout).
   */
  static void opened(Channel stream, Tunnel tunnel) {
    Channel connection = stream.parent();
    if (connection == null) {
      return;
    }
    Set<Tunnel> tunnels = connection.attr(TUNNELS).setIfAbsent(new HashSet<>());
    if (tunnels == null) {
      tunnels = connection.attr(TUNNELS).get();
    }
    Set<Tunnel> open = tunnels;
    open.add(tunnel);
    // Completed on the event loop that the connection and its streams share.
    tunnel.closed().thenRun(() -> open.remove(tunnel));
  }

  /** The connection drains: each of its streams' tunnels goes away. On its event loop. */
  static void drain(Channel connection) {
    Set<Tunnel> tunnels = connection.attr(TUNNELS).get();
    if (tunnels != null) {
      List.copyOf(tunnels).forEach(Tunnel::goAway);
    }
  }

  /**
   * The tunnel started: the bytes the client sent before the 200 go to it, and a stream the client
   * already ended closes it.
   */
  static void started(ChannelPipeline stream) {
    ExtendedConnect self = stream.get(ExtendedConnect.class);
    ChannelHandlerContext ctx = stream.context(self);
    ByteBuf bytes;
    boolean any = false;
    while ((bytes = self.early.poll()) != null) {
      any = true;
      ctx.fireChannelRead(bytes);
    }
    if (any) {
      ctx.fireChannelReadComplete();
    }
    if (self.clientEnded) {
      ctx.close();
    }
  }
}
