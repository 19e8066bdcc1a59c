package dev.berth.edge;

import static java.util.Objects.requireNonNull;

import dev.berth.upstream.RawBody;
import dev.berth.upstream.RawResponse;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The client side's HTTP/1.1 codec: Netty's decoder and encoder, as in its HttpServerCodec, plus
 * one check Netty does not make. Netty joins an obs-fold line (a header line starting with a space
 * or tab) to the previous field; RFC 9112 5.2 lets a server do that, but a proxy that accepts what
 * another parser may read differently invites request smuggling, so berth refuses the request.
 *
 * <p>The decoder and the encoder are two handlers of the pipeline, not one combined handler (whose
 * delegation cost a hop per message). They also do, in passing, what three handlers of their own
 * did: they tell the client clocks that bytes arrived, {@link KeepAlive} of each request and
 * response, and {@link ResponseMeter} of what is written.
 */
final class EdgeCodec {

  private static final int CRLF = ('\r' << 8) | '\n';

  /**
   * Every final response says it comes from berth, without a version, and never names the app's
   * server: as nginx, which drops a proxied response's Server field and sends its own.
   */
  private static final AsciiString SERVER = AsciiString.cached("berth");

  private static final AsciiString STRICT_TRANSPORT_SECURITY =
      AsciiString.cached("strict-transport-security");

  private static final byte[] SERVER_FIELD =
      "Server: berth\r\n".getBytes(StandardCharsets.US_ASCII);

  private final ClientTimeouts timeouts;
  private final KeepAlive keepAlive = new KeepAlive();
  private final ResponseMeter meter = new ResponseMeter();
  private final Decoder decoder;
  private final Encoder encoder = new Encoder();

  /**
   * The Strict-Transport-Security value of the response being made (null: none), its field as bytes
   * for a response passed through raw, and the text they were made from (routes share it).
   */
  private AsciiString hsts;

  private byte[] hstsField;
  private String hstsText = "";

  EdgeCodec(HttpDecoderConfig config, ClientTimeouts timeouts) {
    this.timeouts = requireNonNull(timeouts, "timeouts");
    this.decoder = new Decoder(config);
  }

  Decoder decoder() {
    return decoder;
  }

  Encoder encoder() {
    return encoder;
  }

  ResponseMeter meter() {
    return meter;
  }

  /** The HSTS value of the coming response ("" for none): a TLS connection's route's. */
  void hsts(String value) {
    if (value.equals(hstsText)) {
      return;
    }
    hstsText = value;
    hsts = value.isEmpty() ? null : AsciiString.of(value);
    hstsField =
        value.isEmpty()
            ? null
            : ("Strict-Transport-Security: " + value + "\r\n").getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * Closes the connection once the write it listens to is done: at once, or, while the client is
   * still sending a request (its body unread to the end, or bytes of another already here), by a
   * {@link Lingering} close, so that those bytes do not turn into a reset that can destroy the
   * response before the client reads it.
   */
  final ChannelFutureListener closer = this::closeAfter;

  private void closeAfter(ChannelFuture written) {
    Channel channel = written.channel();
    if (!written.isSuccess()
        || decoder.atRest()
        || !channel.isActive()
        || !(channel instanceof DuplexChannel duplex)) {
      channel.close();
      return;
    }
    timeouts.stop();
    Lingering.start(duplex);
  }

  /** Whether no request is half-read and no response is owed: the codec holds nothing of value. */
  boolean atRest() {
    return keepAlive.atRest() && decoder.atRest();
  }

  /** The request decoder, watching each header block for obs-fold before Netty parses it. */
  final class Decoder extends HttpRequestDecoder {
    /** True from the start of a message until its head is decoded. */
    private boolean inHead = true;

    /** True while no line of the current head has been consumed yet. */
    private boolean atMessageStart = true;

    private boolean folded;

    /** The request being decoded asks to switch protocols (it has an Upgrade field). */
    private boolean upgradeAsked;

    /**
     * After a request that asks to switch protocols, nothing more is decoded until its exchange
     * ends ({@link #resume}) or it switches: the bytes the client sent past it then stay here, and
     * when this decoder leaves the pipeline for a tunnel, Netty hands them on as they came.
     */
    private boolean holding;

    Decoder(HttpDecoderConfig config) {
      super(config);
    }

    boolean atRest() {
      return inHead && atMessageStart && !holding && !internalBuffer().isReadable();
    }

    /** The exchange of a request that asked to switch protocols ended without a switch. */
    void resume(ChannelHandlerContext ctx) {
      if (!holding) {
        return;
      }
      holding = false;
      if (ctx != null && internalBuffer().isReadable()) {
        try {
          channelRead(ctx, Unpooled.EMPTY_BUFFER);
        } catch (Exception e) {
          ctx.fireExceptionCaught(e);
        }
      }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
      if (msg instanceof ByteBuf buf && buf.isReadable()) {
        timeouts.bytesArrived();
      }
      super.channelRead(ctx, msg);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out)
        throws Exception {
      if (holding) {
        return;
      }
      int before = out.size();
      int readerIndex = buffer.readerIndex();
      if (inHead && !folded) {
        folded = hasObsFold(buffer, atMessageStart);
      }
      super.decode(ctx, buffer, out);
      if (inHead && buffer.readerIndex() != readerIndex) {
        atMessageStart = false;
      }
      for (int i = before; i < out.size(); i++) {
        Object msg = out.get(i);
        if (msg instanceof HttpMessage message) {
          if (folded && message.decoderResult().isSuccess()) {
            message.setDecoderResult(
                DecoderResult.failure(
                    new IllegalArgumentException("obsolete line folding in a header field")));
          }
          if (msg instanceof HttpRequest request) {
            keepAlive.requested(request);
            upgradeAsked = request.headers().contains(HttpHeaderNames.UPGRADE);
          }
          inHead = false;
          folded = false;
        }
        if (msg instanceof LastHttpContent) {
          inHead = true;
          atMessageStart = true;
          holding = upgradeAsked;
          upgradeAsked = false;
        }
      }
    }
  }

  /**
   * Whether the unread head in {@code buffer} has a line that starts with SP or HTAB: obs-fold, or
   * whitespace before the first field (RFC 9112 2.2), both refused. The decoder consumes whole
   * lines, so the reader index is always at a line start.
   */
  static boolean hasObsFold(ByteBuf buffer, boolean atMessageStart) {
    int start = buffer.readerIndex();
    int end = buffer.writerIndex();
    if (atMessageStart) {
      // Empty lines before a request line are allowed (RFC 9112 2.2) and are not the head's end.
      while (start < end && (buffer.getByte(start) == '\r' || buffer.getByte(start) == '\n')) {
        start++;
      }
    } else if (start < end && isFoldStart(buffer.getByte(start))) {
      return true;
    }
    for (int i = start; i + 2 < end; i++) {
      if (buffer.getByte(i) != '\r' || buffer.getByte(i + 1) != '\n') {
        continue;
      }
      byte next = buffer.getByte(i + 2);
      if (next == '\r') {
        // The blank line: the head ends here, and what follows is body.
        return false;
      }
      if (isFoldStart(next)) {
        return true;
      }
    }
    return false;
  }

  private static boolean isFoldStart(byte b) {
    return b == ' ' || b == '\t';
  }

  /**
   * The response encoder: knows when the response answers a HEAD, which has no body, and whether
   * the connection closes after it.
   */
  final class Encoder extends HttpResponseEncoder {
    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise)
        throws Exception {
      byte[] connectionField = null;
      if (msg instanceof RawResponse raw) {
        connectionField = keepAlive.responding(raw.closesClientConnection());
      } else if (msg instanceof HttpResponse response
          && response.status().codeClass() != HttpStatusClass.INFORMATIONAL) {
        // Interim responses (100 Continue) come before the final one and answer no request alone.
        keepAlive.responding(response);
        response.headers().set(HttpHeaderNames.SERVER, SERVER);
        if (hsts != null) {
          response.headers().set(STRICT_TRANSPORT_SECURITY, hsts);
        }
      }
      meter.count(msg);
      if (keepAlive.closesAfter(msg)) {
        promise = promise.unvoid();
        promise.addListener(closer);
      }
      switch (msg) {
        case RawResponse raw -> ctx.write(rawHead(raw, connectionField, hstsField), promise);
        case RawBody body -> ctx.write(body.content(), promise);
        default -> super.write(ctx, msg, promise);
      }
    }

    /**
     * A head that passes through as the app's bytes, and its body after it, go out as they are:
     * Netty's encoder is not involved and stays between messages. berth's Server field, its
     * Connection field if any, and the blank line are added here.
     */
    private static ByteBuf rawHead(RawResponse raw, byte[] connectionField, byte[] hstsField) {
      ByteBuf head = raw.content().writeBytes(SERVER_FIELD);
      if (hstsField != null) {
        head.writeBytes(hstsField);
      }
      if (connectionField != null) {
        head.writeBytes(connectionField);
      }
      return head.writeShort(CRLF);
    }

    @Override
    protected boolean isContentAlwaysEmpty(HttpResponse msg) {
      boolean interim = msg.status().codeClass() == HttpStatusClass.INFORMATIONAL;
      return (!interim && keepAlive.answersHead()) || super.isContentAlwaysEmpty(msg);
    }
  }
}
