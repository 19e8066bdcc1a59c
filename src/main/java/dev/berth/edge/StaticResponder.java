package dev.berth.edge;

import dev.berth.config.Route;
import dev.berth.files.ByteRange;
import dev.berth.files.Gzip;
import dev.berth.files.GzipCache;
import dev.berth.files.Preconditions;
import dev.berth.files.StaticRoot;
import dev.berth.files.Validator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.DefaultFileRegion;
import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpChunkedInput;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.stream.ChunkedNioFile;
import io.netty.handler.stream.ChunkedWriteHandler;
import java.io.IOException;
import java.net.FileNameMap;
import java.net.URLConnection;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Date;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Answers a request from a {@link StaticRoot} as nginx would: validators and conditional requests,
 * a single byte range, and gzip (a precompressed sibling, or compressed here and cached). Files go
 * out by zero-copy transfer.
 */
final class StaticResponder {

  /** The pieces a large file is read in over TLS: a TLS record's most. */
  private static final int TLS_CHUNK = 16 * 1024;

  /** Over TLS, files up to this size are read whole (most pages, scripts and icons). */
  private static final int TLS_READ_WHOLE = 64 * 1024;

  private static final FileNameMap JDK_TYPES = URLConnection.getFileNameMap();

  /** Types the JDK's table lacks that browsers care about. */
  private static final Map<String, String> EXTRA_TYPES =
      Map.of(
          "ico", "image/x-icon",
          "mjs", "text/javascript",
          "woff", "font/woff",
          "woff2", "font/woff2",
          "webmanifest", "application/manifest+json",
          "map", "application/json",
          "md", "text/markdown");

  /** Shared by all routes and event loops; small, so hot files are compressed once each. */
  private static final GzipCache GZIP_CACHE = new GzipCache(8 << 20);

  /** The bytes of one representation of a file. */
  private sealed interface Content {
    long length();
  }

  /** A file on disk (the file itself or its .gz sibling), sent by zero-copy transfer. */
  private record OnDisk(Path path, long length) implements Content {}

  /** Gzip made here; the array is shared with the cache and never written to. */
  private record InMemory(byte[] bytes) implements Content {
    @Override
    public long length() {
      return bytes.length;
    }
  }

  /** What goes out for a file: its bytes, their validator, and whether they are gzip. */
  private record Representation(Content content, Validator validator, boolean gzip) {}

  private StaticResponder() {}

  static ChannelFuture respond(
      ChannelHandlerContext ctx,
      HttpRequest request,
      Route.StaticTarget target,
      String rawPath,
      boolean closeAfter) {
    HttpMethod method = request.method();
    if (!method.equals(HttpMethod.GET) && !method.equals(HttpMethod.HEAD)) {
      FullHttpResponse response =
          Responses.error(
              HttpResponseStatus.METHOD_NOT_ALLOWED, "Static files answer GET and HEAD only.");
      response.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
      return send(ctx, response, closeAfter);
    }
    StaticRoot root = new StaticRoot(target.root(), target.followSymlinks());
    return switch (root.lookup(rawPath)) {
      case StaticRoot.Missing m -> notFound(ctx, closeAfter);
      case StaticRoot.Refused r -> {
        HttpResponseStatus status = HttpResponseStatus.valueOf(r.status());
        yield send(ctx, Responses.error(status, "Refused: " + r.reason() + "."), closeAfter);
      }
      case StaticRoot.Redirect d -> send(ctx, redirectToDirectory(request.uri()), closeAfter);
      case StaticRoot.File f -> sendFile(ctx, request, target, root, f.path(), closeAfter);
    };
  }

  private static FullHttpResponse redirectToDirectory(String uri) {
    int query = uri.indexOf('?');
    String location = query < 0 ? uri + "/" : uri.substring(0, query) + "/" + uri.substring(query);
    FullHttpResponse response = Responses.empty(HttpResponseStatus.MOVED_PERMANENTLY);
    response.headers().set(HttpHeaderNames.LOCATION, location);
    return response;
  }

  private static ChannelFuture sendFile(
      ChannelHandlerContext ctx,
      HttpRequest request,
      Route.StaticTarget target,
      StaticRoot root,
      Path file,
      boolean closeAfter) {
    BasicFileAttributes attributes;
    try {
      attributes = Files.readAttributes(file, BasicFileAttributes.class);
    } catch (IOException e) {
      return notFound(ctx, closeAfter); // removed since the lookup
    }
    HttpHeaders headers = request.headers();
    boolean head = request.method().equals(HttpMethod.HEAD);
    // Range is defined for GET only (RFC 9110 14.2). A ranged request gets the identity file, gzip
    // or not: offsets into gzip made here would not survive a change of compression level.
    String range = head ? null : headers.get(HttpHeaderNames.RANGE);
    String type = contentType(file.getFileName().toString());
    boolean negotiated =
        target.gzip() && Gzip.compressible(type) && attributes.size() >= Gzip.MIN_LENGTH;
    Representation chosen = identity(file, attributes);
    if (negotiated
        && range == null
        && Gzip.accepted(headers.get(HttpHeaderNames.ACCEPT_ENCODING))) {
      chosen = gzipped(root, file, attributes).orElse(chosen);
    }

    // What 200, 206 and 304 all carry (RFC 9110 15.4.5 for the 304).
    Validator validator = chosen.validator();
    HttpHeaders common =
        new DefaultHttpHeaders()
            .set(HttpHeaderNames.ETAG, validator.etag())
            .set(
                HttpHeaderNames.LAST_MODIFIED,
                DateFormatter.format(new Date(validator.modifiedSeconds() * 1000)));
    if (!target.cacheControl().isEmpty()) {
      common.set(HttpHeaderNames.CACHE_CONTROL, target.cacheControl());
    }
    if (negotiated) {
      // Identity answers too: else a shared cache could hand gzip to a client that cannot read it.
      common.set(HttpHeaderNames.VARY, "Accept-Encoding");
    }
    return switch (Preconditions.evaluate(headers, validator)) {
      case PRECONDITION_FAILED ->
          send(
              ctx,
              Responses.error(HttpResponseStatus.PRECONDITION_FAILED, "The file does not match."),
              closeAfter);
      case NOT_MODIFIED -> {
        FullHttpResponse notModified = Responses.empty(HttpResponseStatus.NOT_MODIFIED);
        notModified.headers().add(common);
        yield send(ctx, notModified, closeAfter);
      }
      case SEND -> {
        long length = chosen.content().length();
        boolean rangeApplies =
            Preconditions.ifRangeHolds(headers.get(HttpHeaderNames.IF_RANGE), validator);
        ByteRange wanted = rangeApplies ? ByteRange.of(range, length) : new ByteRange.Whole();
        common
            .set(HttpHeaderNames.CONTENT_TYPE, type)
            .set(HttpHeaderNames.ACCEPT_RANGES, HttpHeaderValues.BYTES);
        if (chosen.gzip()) {
          common.set(HttpHeaderNames.CONTENT_ENCODING, HttpHeaderValues.GZIP);
        }
        Content body = head || length == 0 ? null : chosen.content();
        yield switch (wanted) {
          case ByteRange.Whole w ->
              sendContent(
                  ctx,
                  HttpResponseStatus.OK,
                  common,
                  body,
                  new ByteRange.Slice(0, length),
                  closeAfter);
          case ByteRange.Slice slice -> {
            common.set(
                HttpHeaderNames.CONTENT_RANGE,
                "bytes " + slice.offset() + "-" + slice.last() + "/" + length);
            yield sendContent(
                ctx, HttpResponseStatus.PARTIAL_CONTENT, common, body, slice, closeAfter);
          }
          case ByteRange.Unsatisfiable u -> {
            FullHttpResponse unsatisfiable =
                Responses.error(
                    HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE,
                    "The range lies outside the file.");
            unsatisfiable.headers().set(HttpHeaderNames.CONTENT_RANGE, "bytes */" + length);
            yield send(ctx, unsatisfiable, closeAfter);
          }
        };
      }
    };
  }

  private static Representation identity(Path file, BasicFileAttributes attributes) {
    return new Representation(
        new OnDisk(file, attributes.size()), validator(attributes, ""), false);
  }

  /**
   * The file's gzip: a .gz sibling at least as new as the file (nginx's gzip_static), else made
   * here for a file small enough to compress on the event loop; empty if neither.
   */
  private static Optional<Representation> gzipped(
      StaticRoot root, Path file, BasicFileAttributes attributes) {
    try {
      Optional<Path> sibling = root.sibling(file, ".gz");
      if (sibling.isPresent()) {
        BasicFileAttributes gz = Files.readAttributes(sibling.get(), BasicFileAttributes.class);
        if (gz.lastModifiedTime().compareTo(attributes.lastModifiedTime()) >= 0) {
          // Its own tag: the .gz may be rebuilt (say, at a better level) while the file stays.
          return Optional.of(
              new Representation(
                  new OnDisk(sibling.get(), gz.size()), validator(gz, "-gzip"), true));
        }
      }
      if (attributes.size() <= Gzip.MAX_ON_THE_FLY) {
        byte[] compressed = GZIP_CACHE.gzip(file, attributes);
        return Optional.of(
            new Representation(new InMemory(compressed), validator(attributes, "-gzip"), true));
      }
    } catch (IOException e) {
      // Gone or changed meanwhile: the identity file is what is left to try.
    }
    return Optional.empty();
  }

  private static Validator validator(BasicFileAttributes attributes, String suffix) {
    return Validator.of(attributes.lastModifiedTime().toMillis(), attributes.size(), suffix);
  }

  /**
   * A 200 or 206 with {@code headers}: the head, {@code slice} of {@code content} (none when null:
   * for HEAD, or an empty file), and the end of the response.
   */
  private static ChannelFuture sendContent(
      ChannelHandlerContext ctx,
      HttpResponseStatus status,
      HttpHeaders headers,
      Content content,
      ByteRange.Slice slice,
      boolean closeAfter) {
    Object body = null;
    if (content instanceof OnDisk file) {
      try {
        boolean stream = Http2Pipeline.isStream(ctx.channel());
        if (!stream && !encrypted(ctx)) {
          body =
              new DefaultFileRegion(FileChannel.open(file.path()), slice.offset(), slice.length());
        } else if (slice.length() <= TLS_READ_WHOLE) {
          body = new DefaultHttpContent(read(ctx, file.path(), slice));
        } else if (stream) {
          // An HTTP/2 stream takes frames, not a file: chunks read as the stream's window opens.
          chunkedOnStream(ctx);
          body =
              new HttpChunkedInput(
                  new ChunkedNioFile(
                      FileChannel.open(file.path()), slice.offset(), slice.length(), TLS_CHUNK));
        } else {
          chunkedAfterTls(ctx);
          body =
              new ChunkedNioFile(
                  FileChannel.open(file.path()), slice.offset(), slice.length(), TLS_CHUNK);
        }
      } catch (IOException e) {
        return notFound(ctx, closeAfter); // removed since the lookup, and nothing is sent yet
      }
    } else if (content instanceof InMemory memory) {
      int offset = Math.toIntExact(slice.offset());
      body =
          new DefaultHttpContent(
              Unpooled.wrappedBuffer(memory.bytes(), offset, Math.toIntExact(slice.length())));
    }
    HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, status, headers);
    response.headers().set(HttpHeaderNames.CONTENT_LENGTH, slice.length());
    if (closeAfter) {
      HttpUtil.setKeepAlive(response, false);
    }
    ctx.write(response);
    if (body instanceof HttpChunkedInput chunks) {
      return ctx.writeAndFlush(chunks); // its last chunk ends the response
    }
    if (body != null) {
      ctx.write(body);
    }
    return ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
  }

  /**
   * Whether the connection is a TLS one: then a file cannot go to the socket as it is (sendfile),
   * its bytes must pass through the TLS handler. A small one is read whole, and goes out with its
   * head in one flush; a larger one in chunks that a {@link ChunkedWriteHandler} right after the
   * TLS handler reads as the socket takes them.
   */
  private static boolean encrypted(ChannelHandlerContext ctx) {
    return ctx.pipeline().get(SslHandler.class) != null;
  }

  /** Puts a {@link ChunkedWriteHandler} after the TLS handler, at the first large file. */
  private static void chunkedAfterTls(ChannelHandlerContext ctx) {
    if (ctx.pipeline().get(ChunkedWriteHandler.class) == null) {
      ChannelHandlerContext tls = ctx.pipeline().context(SslHandler.class);
      ctx.pipeline().addAfter(tls.name(), null, new ChunkedWriteHandler());
    }
  }

  /**
   * Puts a {@link ChunkedWriteHandler} right after the stream's codec, at its first file: behind
   * {@link StreamResponses}, which counts the file whole for the access log, as on HTTP/1.1.
   */
  private static void chunkedOnStream(ChannelHandlerContext ctx) {
    if (ctx.pipeline().get(ChunkedWriteHandler.class) == null) {
      String responses = ctx.pipeline().context(StreamResponses.class).name();
      ctx.pipeline().addBefore(responses, null, new ChunkedWriteHandler());
    }
  }

  /** {@code slice} of the file, read into one buffer. */
  private static ByteBuf read(ChannelHandlerContext ctx, Path path, ByteRange.Slice slice)
      throws IOException {
    int length = Math.toIntExact(slice.length());
    ByteBuf buf = ctx.alloc().ioBuffer(length);
    try (FileChannel channel = FileChannel.open(path)) {
      long position = slice.offset();
      while (buf.writerIndex() < length) {
        int n = buf.writeBytes(channel, position, length - buf.writerIndex());
        if (n < 0) {
          // Shorter than when it was looked up: what was promised cannot be sent.
          throw new java.io.EOFException(path.toString());
        }
        position += n;
      }
      return buf;
    } catch (IOException | RuntimeException e) {
      buf.release();
      throw e;
    }
  }

  private static ChannelFuture notFound(ChannelHandlerContext ctx, boolean closeAfter) {
    return send(ctx, Responses.error(HttpResponseStatus.NOT_FOUND, "No such file."), closeAfter);
  }

  private static ChannelFuture send(
      ChannelHandlerContext ctx, FullHttpResponse response, boolean closeAfter) {
    if (closeAfter) {
      HttpUtil.setKeepAlive(response, false);
    }
    return ctx.writeAndFlush(response);
  }

  static String contentType(String fileName) {
    int dot = fileName.lastIndexOf('.');
    String extension = dot < 0 ? "" : fileName.substring(dot + 1).toLowerCase(Locale.ROOT);
    String type = EXTRA_TYPES.get(extension);
    if (type == null) {
      type = JDK_TYPES.getContentTypeFor(fileName);
    }
    if (type == null) {
      return "application/octet-stream";
    }
    return type.startsWith("text/") || type.equals("application/json")
        ? type + "; charset=utf-8"
        : type;
  }
}
