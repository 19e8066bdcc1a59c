package dev.berth.edge;

import dev.berth.config.Route;
import dev.berth.files.StaticRoot;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.DefaultFileRegion;
import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.IOException;
import java.net.FileNameMap;
import java.net.URLConnection;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Date;
import java.util.Map;

/** Answers a request from a {@link StaticRoot}: headers, then the file by zero-copy transfer. */
final class StaticResponder {

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

  private StaticResponder() {}

  static ChannelFuture respond(
      ChannelHandlerContext ctx, HttpRequest request, Route.StaticTarget target, String rawPath, boolean closeAfter) {
    StaticRoot root = new StaticRoot(target.root());
    HttpMethod method = request.method();
    if (!method.equals(HttpMethod.GET) && !method.equals(HttpMethod.HEAD)) {
      FullHttpResponse response =
          Responses.error(HttpResponseStatus.METHOD_NOT_ALLOWED, "Static files answer GET and HEAD only.");
      response.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
      return send(ctx, response, closeAfter);
    }
    return switch (root.lookup(rawPath)) {
      case StaticRoot.Missing m -> send(ctx, Responses.error(HttpResponseStatus.NOT_FOUND, "No such file."), closeAfter);
      case StaticRoot.Refused r ->
          send(ctx, Responses.error(HttpResponseStatus.valueOf(r.status()), "Refused: " + r.reason() + "."), closeAfter);
      case StaticRoot.Redirect d -> send(ctx, redirectToDirectory(request.uri()), closeAfter);
      case StaticRoot.File f -> sendFile(ctx, request, f.path(), closeAfter);
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
      ChannelHandlerContext ctx, HttpRequest request, Path file, boolean closeAfter) {
    BasicFileAttributes attributes;
    FileChannel channel;
    try {
      attributes = Files.readAttributes(file, BasicFileAttributes.class);
      channel = FileChannel.open(file);
    } catch (IOException e) {
      return send(ctx, Responses.error(HttpResponseStatus.NOT_FOUND, "No such file."), closeAfter);
    }
    // HTTP dates have whole seconds; compare at that precision or every file looks modified.
    long modifiedSeconds = attributes.lastModifiedTime().toMillis() / 1000;
    String ifModifiedSince = request.headers().get(HttpHeaderNames.IF_MODIFIED_SINCE);
    Date since = ifModifiedSince == null ? null : DateFormatter.parseHttpDate(ifModifiedSince);
    if (since != null && modifiedSeconds <= since.getTime() / 1000) {
      close(channel);
      FullHttpResponse notModified = Responses.empty(HttpResponseStatus.NOT_MODIFIED);
      notModified.headers().set(HttpHeaderNames.LAST_MODIFIED, DateFormatter.format(new Date(modifiedSeconds * 1000)));
      return send(ctx, notModified, closeAfter);
    }
    long length = attributes.size();
    HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    response.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, contentType(file.getFileName().toString()))
        .set(HttpHeaderNames.CONTENT_LENGTH, length)
        .set(HttpHeaderNames.LAST_MODIFIED, DateFormatter.format(new Date(modifiedSeconds * 1000)));
    if (closeAfter) {
      HttpUtil.setKeepAlive(response, false);
    }
    ctx.write(response);
    if (request.method().equals(HttpMethod.HEAD) || length == 0) {
      close(channel);
    } else {
      ctx.write(new DefaultFileRegion(channel, 0, length));
    }
    return ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
  }

  private static ChannelFuture send(ChannelHandlerContext ctx, FullHttpResponse response, boolean closeAfter) {
    if (closeAfter) {
      HttpUtil.setKeepAlive(response, false);
    }
    return ctx.writeAndFlush(response);
  }

  static String contentType(String fileName) {
    int dot = fileName.lastIndexOf('.');
    String extension = dot < 0 ? "" : fileName.substring(dot + 1).toLowerCase(java.util.Locale.ROOT);
    String type = EXTRA_TYPES.get(extension);
    if (type == null) {
      type = JDK_TYPES.getContentTypeFor(fileName);
    }
    if (type == null) {
      return "application/octet-stream";
    }
    return type.startsWith("text/") || type.equals("application/json") ? type + "; charset=utf-8" : type;
  }

  private static void close(FileChannel channel) {
    try {
      channel.close();
    } catch (IOException ignored) {
      // Read-only channel: nothing was written that closing could lose.
    }
  }
}
