package dev.berth.config;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * A route: which requests go where.
 *
 * @param host an exact host ("example.com"), a wildcard ("*.example.com"), or "" for any host;
 *     lower case, without port
 * @param path a path prefix starting with "/", without a trailing "/" unless it is "/"; matches on
 *     segment boundaries ("/blog" matches "/blog" and "/blog/x", not "/blogger")
 * @param target where matching requests go
 * @param stripPrefix for app targets: remove the prefix from the forwarded path instead of passing
 *     it through with SCRIPT_NAME
 * @param limits body size and upstream timeouts for requests on this route
 * @param accessLog where its requests are logged (the global log unless the route sets its own)
 * @param access who may ask and how often, and the app's error pages ({@link RouteAccess#NONE}: no
 *     rule)
 * @param line the line of the route in the config file, for messages
 * @param hsts the Strict-Transport-Security value of its responses over TLS (its own, else the
 *     [tls] one), or "" for none
 */
public record Route(
    String host,
    String path,
    Target target,
    boolean stripPrefix,
    RouteLimits limits,
    AccessLogSpec accessLog,
    RouteAccess access,
    int line,
    String hsts) {

  public Route {
    requireNonNull(host, "host");
    requireNonNull(path, "path");
    requireNonNull(target, "target");
    requireNonNull(limits, "limits");
    requireNonNull(accessLog, "accessLog");
    requireNonNull(access, "access");
    requireNonNull(hsts, "hsts");
  }

  /** A route without access rules, error pages or HSTS. */
  public Route(
      String host,
      String path,
      Target target,
      boolean stripPrefix,
      RouteLimits limits,
      AccessLogSpec accessLog,
      int line) {
    this(host, path, target, stripPrefix, limits, accessLog, RouteAccess.NONE, line, "");
  }

  /** Where a route sends requests. */
  public sealed interface Target
      permits AppTarget, StaticTarget, ReleaseFilesTarget, RedirectTarget {}

  /**
   * Answer every request with a redirect (www to apex, an old path to a new site).
   *
   * @param location an absolute URL, with {uri}, {path}, {query} and {host} standing for the
   *     request's (checked at load)
   * @param status 301, 302, 307 or 308
   */
  public record RedirectTarget(String location, int status) implements Target {
    /** What a location may stand for, each as {name}. */
    static final List<String> PLACEHOLDERS = List.of("uri", "path", "query", "host");

    public RedirectTarget {
      requireNonNull(location, "location");
    }

    /**
     * The location for one request.
     *
     * @param host the request's Host ("Example.com:8080"; null when it had none)
     * @param uri its target in origin form ("/a/b?x=1")
     */
    public String locationFor(String host, String uri) {
      requireNonNull(uri, "uri");
      if (location.indexOf('{') < 0) {
        return location;
      }
      int q = uri.indexOf('?');
      StringBuilder out = new StringBuilder(location.length() + uri.length());
      int at = 0;
      while (at < location.length()) {
        int open = location.indexOf('{', at);
        if (open < 0) {
          out.append(location, at, location.length());
          break;
        }
        int close = location.indexOf('}', open);
        out.append(location, at, open);
        switch (location.substring(open + 1, close)) {
          case "uri" -> out.append(uri);
          case "path" -> out.append(q < 0 ? uri : uri.substring(0, q));
          case "query" -> out.append(q < 0 ? "" : uri.substring(q + 1));
          default -> out.append(hostName(host));
        }
        at = close + 1;
      }
      return out.toString();
    }

    /** "Example.com:8080" -> "example.com", "[::1]:80" -> "[::1]", as nginx's $host. */
    private static String hostName(String host) {
      if (host == null) {
        return "";
      }
      int colon = host.lastIndexOf(':');
      String name = colon > host.lastIndexOf(']') ? host.substring(0, colon) : host;
      return name.toLowerCase(Locale.ROOT);
    }
  }

  /**
   * Proxy to the instances of an app.
   *
   * @param upgrades the protocols a client may switch to (Upgrade), lower case
   * @param compression how its responses are compressed at the edge
   */
  public record AppTarget(String app, List<String> upgrades, Compression compression)
      implements Target {
    /** What a route lets through when it does not say: WebSockets, as nginx users configure. */
    public static final List<String> DEFAULT_UPGRADES = List.of("websocket");

    public AppTarget {
      requireNonNull(app, "app");
      upgrades = List.copyOf(upgrades);
      requireNonNull(compression, "compression");
    }

    /** A route to {@code app} that lets WebSockets through, with the default compression. */
    public AppTarget(String app) {
      this(app, DEFAULT_UPGRADES, Compression.DEFAULT);
    }

    /** Letting WebSockets through. */
    public AppTarget(String app, Compression compression) {
      this(app, DEFAULT_UPGRADES, compression);
    }

    /**
     * Whether an Upgrade field's protocol (a token, perhaps with "/version") may switch here: the
     * route lists its name, or the name with that version.
     */
    public boolean allowsUpgrade(String protocol) {
      String lower = protocol.strip().toLowerCase(Locale.ROOT);
      int slash = lower.indexOf('/');
      return upgrades.contains(lower)
          || (slash > 0 && upgrades.contains(lower.substring(0, slash)));
    }
  }

  /**
   * Serve files below a directory.
   *
   * @param root the directory (absolute, real)
   * @param cacheControl a Cache-Control value for its responses, or "" for none
   * @param gzip compress compressible types for clients that accept gzip
   * @param followSymlinks serve symlinks that lead outside the root (refused by default)
   */
  public record StaticTarget(Path root, String cacheControl, boolean gzip, boolean followSymlinks)
      implements Target {
    public StaticTarget {
      requireNonNull(root, "root");
      requireNonNull(cacheControl, "cacheControl");
    }
  }

  /**
   * Serve files below a directory of the app's release that serves its traffic (the app's {@code
   * static} key): which release that is changes with each deploy's switch, so the edge asks at each
   * request.
   *
   * @param app the app
   * @param dir the directory, relative to the release (normalized, without ".."); GET and HEAD,
   *     gzip, no Cache-Control, no links out of it, as a static route's defaults
   */
  public record ReleaseFilesTarget(String app, Path dir) implements Target {
    public ReleaseFilesTarget {
      requireNonNull(app, "app");
      requireNonNull(dir, "dir");
      if (dir.isAbsolute()) {
        throw new IllegalArgumentException("dir is absolute: " + dir);
      }
    }
  }
}
