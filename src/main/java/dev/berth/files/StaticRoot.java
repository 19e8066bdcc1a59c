package dev.berth.files;

import static java.util.Objects.requireNonNull;

import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * A directory served as static files. Decides which file a request path names, and refuses any path
 * that could leave the root: dot segments, encoded slashes or backslashes, NUL, and (unless told to
 * follow them) symlinks that resolve outside it.
 */
public final class StaticRoot {

  /** What a request path names. */
  public sealed interface Lookup permits File, Redirect, Refused, Missing {}

  /** A regular file to serve. */
  public record File(Path path) implements Lookup {}

  /** A directory asked for without its trailing slash: the client should come back with one. */
  public record Redirect() implements Lookup {}

  /**
   * A path that tries to leave the root or cannot be a file name (400), or a link out of it (403).
   */
  public record Refused(int status, String reason) implements Lookup {}

  public record Missing() implements Lookup {}

  private final Path root;
  private final boolean followSymlinks;

  /**
   * @param root an existing directory, absolute and real (symlinks resolved)
   * @param followSymlinks serve symlinks whose target lies outside the root (as nginx does by
   *     default); the path itself still may not climb out with dot segments
   */
  public StaticRoot(Path root, boolean followSymlinks) {
    this.root = requireNonNull(root, "root");
    this.followSymlinks = followSymlinks;
  }

  public Path root() {
    return root;
  }

  /**
   * @param rawPath the request path below the route's prefix, still percent-encoded, starting with
   *     "/" (or empty for the prefix itself, which redirects to the prefix with a slash)
   */
  public Lookup lookup(String rawPath) {
    requireNonNull(rawPath, "rawPath");
    String lower = rawPath.toLowerCase(Locale.ROOT);
    if (lower.contains("%2f") || lower.contains("%5c") || lower.contains("%00")) {
      return new Refused(400, "encoded slash, backslash or NUL in path");
    }
    String decoded;
    try {
      decoded = QueryStringDecoder.decodeComponent(rawPath.replace("+", "%2B"));
    } catch (IllegalArgumentException e) {
      return new Refused(400, "malformed percent-encoding in path");
    }
    if (decoded.indexOf('\\') >= 0 || decoded.indexOf('\0') >= 0) {
      return new Refused(400, "backslash or NUL in path");
    }
    // The route's prefix itself ("/static") names the root directory without its slash.
    boolean wantsDirectory = decoded.endsWith("/");
    Path target = root;
    for (String segment : decoded.split("/")) {
      if (segment.isEmpty()) {
        continue;
      }
      if (segment.equals(".") || segment.equals("..")) {
        return new Refused(400, "dot segment in path");
      }
      target = target.resolve(segment);
    }
    return lookupPath(target, wantsDirectory);
  }

  /**
   * The regular file beside {@code file} whose name is {@code file}'s plus {@code suffix} (as
   * "app.js.gz" is to "app.js"), under the same rules as a looked-up file: a sibling that is a link
   * out of the root does not count unless links are followed.
   *
   * @param file a file this root returned from {@link #lookup}
   */
  public Optional<Path> sibling(Path file, String suffix) {
    return lookupPath(file.resolveSibling(file.getFileName() + suffix), false) instanceof File found
        ? Optional.of(found.path())
        : Optional.empty();
  }

  private Lookup lookupPath(Path target, boolean wantsDirectory) {
    if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS) && !Files.exists(target)) {
      return new Missing();
    }
    Path real;
    try {
      real = target.toRealPath();
    } catch (IOException e) {
      // A dangling link, or a file removed since we looked: as good as missing.
      return new Missing();
    }
    if (!followSymlinks && !real.startsWith(root)) {
      return new Refused(403, "link leads outside the static root");
    }
    if (Files.isDirectory(real)) {
      if (!wantsDirectory) {
        return new Redirect();
      }
      Path index = real.resolve("index.html");
      return Files.isRegularFile(index)
          ? lookupPath(target.resolve("index.html"), false)
          : new Missing();
    }
    if (wantsDirectory || !Files.isRegularFile(real) || !Files.isReadable(real)) {
      return new Missing();
    }
    return new File(real);
  }
}
