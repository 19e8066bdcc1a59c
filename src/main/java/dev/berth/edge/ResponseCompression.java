package dev.berth.edge;

import dev.berth.config.Compression;
import dev.berth.config.Compression.Coding;
import dev.berth.config.Route;
import dev.berth.files.AcceptEncoding;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The compression of one app response at the edge (a route's {@code compress}).
 *
 * <p>Decided twice. From the request ({@link #forRequest}): the route compresses, the client takes
 * one of its codings, and it is not a HEAD. From the response head: a head the raw pass-through
 * could forward as bytes is decoded only when it will be compressed ({@link #compressesRaw}); a
 * decoded head decides in {@link #begin} (see {@link #compresses}).
 *
 * <p>The body is compressed as it streams: the pieces of one read from the app are compressed
 * together (16 KiB at a time at most) and flushed when that read is done ({@link #flush}), so a
 * Server-Sent Event goes out when the app sent it, never held for a better ratio. Works on Netty's
 * HttpResponse and HttpContent, so HTTP/1.1 and HTTP/2 clients alike.
 */
final class ResponseCompression {

  /** No compression: every method passes the response through. */
  static final ResponseCompression NONE = new ResponseCompression(null, null, null);

  /**
   * Pending input is compressed once it reaches this much, even within one read: as much as one
   * zstd frame takes, and small enough that the encoders' buffers are pooled (see {@link
   * ContentEncoders#ZSTD_BLOCK}).
   */
  static final int MAX_PENDING = ContentEncoders.ZSTD_BLOCK;

  private final Compression config;
  private final Coding coding;
  private final ByteBufAllocator alloc;

  /** The coding's encoder, while the response is being compressed. */
  private EmbeddedChannel encoder;

  /** Body bytes of the current read, not yet compressed. */
  private CompositeByteBuf pending;

  private ResponseCompression(Compression config, Coding coding, ByteBufAllocator alloc) {
    this.config = config;
    this.coding = coding;
    this.alloc = alloc;
  }

  /**
   * This request's compression: {@link #NONE} unless the route compresses, the request is not a
   * HEAD, and the client's Accept-Encoding takes one of the route's codings that load here.
   */
  static ResponseCompression forRequest(HttpRequest request, Route route, ByteBufAllocator alloc) {
    if (!(route.target() instanceof Route.AppTarget app)) {
      return NONE;
    }
    Coding coding = negotiate(request, app.compression());
    return coding == null ? NONE : new ResponseCompression(app.compression(), coding, alloc);
  }

  /** The coding this request gets on this route if its response qualifies, or null. */
  static Coding negotiate(HttpRequest request, Compression config) {
    if (!config.enabled() || request.method().equals(HttpMethod.HEAD)) {
      return null;
    }
    String accept = request.headers().get(HttpHeaderNames.ACCEPT_ENCODING);
    if (accept == null) {
      return null;
    }
    List<Coding> offered = new ArrayList<>(config.codings().size());
    List<String> tokens = new ArrayList<>(config.codings().size());
    for (Coding c : config.codings()) {
      if (ContentEncoders.available(c)) {
        offered.add(c);
        tokens.add(c.token());
      }
    }
    int picked = AcceptEncoding.pick(accept, tokens);
    return picked < 0 ? null : offered.get(picked);
  }

  /** Whether the exchange may compress its response, if the head qualifies. */
  boolean mayCompress() {
    return coding != null;
  }

  /**
   * {@link #compresses} for a head that may pass through as bytes (see {@code
   * upstream.PassThrough}): whether this response will be compressed, so must be decoded. All
   * others stay bytes: a request without a coding pays nothing, and one with a coding pays only for
   * the responses that get compressed. Allocates nothing.
   */
  boolean compressesRaw(int status, long length, CharSequence type, boolean transformable) {
    return coding != null
        && status >= 200
        && status != 204
        && status != 206
        && status != 304
        && transformable
        && length >= config.minSize()
        && config.compressesType(type);
  }

  /**
   * Whether a response is compressed at the edge: a status with a body of its own (not 1xx, 204,
   * 206 or 304), no Content-Range, not encoded by the app, not marked no-transform, a type the
   * route compresses, and a Content-Length (if any) of at least the route's minimum.
   */
  static boolean compresses(HttpResponse response, Compression config) {
    int status = response.status().code();
    HttpHeaders headers = response.headers();
    if (status < 200 || status == 204 || status == 206 || status == 304) {
      return false;
    }
    if (headers.contains(HttpHeaderNames.CONTENT_RANGE)) {
      return false;
    }
    String encoding = headers.get(HttpHeaderNames.CONTENT_ENCODING);
    if (encoding != null && !encoding.isBlank()) {
      return false;
    }
    for (String cacheControl : headers.getAll(HttpHeaderNames.CACHE_CONTROL)) {
      if (cacheControl.toLowerCase(Locale.ROOT).contains(HttpHeaderValues.NO_TRANSFORM)) {
        return false;
      }
    }
    if (!config.compressesType(headers.get(HttpHeaderNames.CONTENT_TYPE))) {
      return false;
    }
    long length = HttpUtil.getContentLength(response, -1L);
    return length < 0 || length >= config.minSize();
  }

  /**
   * Decides from the response head; when it compresses, rewrites the head's fields: the coding in
   * Content-Encoding, Accept-Encoding in Vary, no Content-Length (HTTP/1.1 then chunks it), no
   * Accept-Ranges, and a strong ETag made weak (the bytes differ, the content does not).
   */
  void begin(HttpResponse response) {
    if (coding == null || !compresses(response, config)) {
      return;
    }
    HttpHeaders headers = response.headers();
    headers.set(HttpHeaderNames.CONTENT_ENCODING, coding.token());
    headers.remove(HttpHeaderNames.CONTENT_LENGTH);
    headers.remove(HttpHeaderNames.ACCEPT_RANGES);
    addVary(headers);
    String etag = headers.get(HttpHeaderNames.ETAG);
    if (etag != null && etag.startsWith("\"")) {
      headers.set(HttpHeaderNames.ETAG, "W/" + etag);
    }
    // The allocator first: an encoder takes its buffers when it is added (zstd keeps a block).
    encoder = new EmbeddedChannel();
    encoder.config().setAllocator(alloc);
    encoder.pipeline().addLast(ContentEncoders.create(coding));
  }

  /** Vary gets Accept-Encoding, unless it has it already or is "*". */
  static void addVary(HttpHeaders headers) {
    List<String> vary = headers.getAll(HttpHeaderNames.VARY);
    for (String value : vary) {
      for (String name : value.split(",")) {
        String field = name.trim();
        if (field.equals("*") || field.equalsIgnoreCase("accept-encoding")) {
          return;
        }
      }
    }
    headers.add(HttpHeaderNames.VARY, "Accept-Encoding");
  }

  /**
   * A piece of the response body as it goes to the client: itself when the response is not
   * compressed; null while its bytes wait for the end of the read ({@link #flush}); the compressed
   * bytes once 16 KiB wait; and for the last piece, the rest of the compressed body with the app's
   * trailers.
   */
  HttpContent encode(HttpContent content) {
    if (encoder == null) {
      return content;
    }
    ByteBuf in = content.content();
    if (in.isReadable()) {
      if (pending == null) {
        pending = alloc.compositeBuffer();
      }
      pending.addComponent(true, in.retain());
    }
    if (content instanceof LastHttpContent last) {
      compressPending();
      encoder.finish();
      ByteBuf out = output();
      if (!out.isReadable()) {
        out = ContentEncoders.emptyBody(coding);
      }
      LastHttpContent end = last.replace(out);
      last.release();
      close();
      return end;
    }
    content.release();
    if (pending != null && pending.readableBytes() >= MAX_PENDING) {
      return flush();
    }
    return null;
  }

  /** The compressed bytes of what came since the last flush, or null when nothing did. */
  HttpContent flush() {
    if (encoder == null || pending == null || !pending.isReadable()) {
      return null;
    }
    compressPending();
    ByteBuf out = output();
    if (!out.isReadable()) {
      out.release();
      return null;
    }
    return new DefaultHttpContent(out);
  }

  /** The exchange ended early: frees the encoder and what waits. */
  void abandon() {
    if (encoder != null) {
      encoder.finishAndReleaseAll();
      close();
    }
  }

  private void compressPending() {
    if (pending != null && pending.isReadable()) {
      ByteBuf in = pending;
      pending = null;
      encoder.writeOutbound(in);
    }
  }

  /** What the encoder wrote, as one buffer. */
  private ByteBuf output() {
    ByteBuf first = null;
    CompositeByteBuf more = null;
    ByteBuf piece;
    while ((piece = encoder.readOutbound()) != null) {
      if (!piece.isReadable()) {
        piece.release();
      } else if (first == null) {
        first = piece;
      } else {
        if (more == null) {
          more = alloc.compositeBuffer();
          more.addComponent(true, first);
        }
        more.addComponent(true, piece);
      }
    }
    return more != null ? more : first != null ? first : Unpooled.EMPTY_BUFFER;
  }

  private void close() {
    encoder = null;
    if (pending != null) {
      pending.release();
      pending = null;
    }
  }
}
