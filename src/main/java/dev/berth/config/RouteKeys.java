package dev.berth.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** The keys of a {@code [[routes]]} table. */
final class RouteKeys {

  static final Key<String> HOST =
      Key.of(
          "host",
          Addresses.ROUTE_HOST,
          "",
          "\"*\"",
          "\"example.com\"",
          """
          The Host the route answers: an exact name ("example.com"), a wildcard ("*.example.com",
          any depth of subdomain), or "*" for any host. Compared without case or port. An exact
          name wins over a wildcard, a wildcard over "*"; a host with routes of its own does not
          fall through to the routes for any host.
          """);

  static final Key<String> PATH =
      Key.of(
          "path",
          Addresses.ROUTE_PATH,
          "/",
          "\"/\"",
          "\"/blog\"",
          """
          A path prefix, matched on segment boundaries: "/blog" matches /blog and /blog/x, not
          /blogger. Among a host's routes the longest matching prefix wins. A request that no
          route matches gets berth's own 404.
          """);

  static final Key<String> APP =
      Key.of(
          "app",
          Types.nonBlank("the name of an app defined under [apps]"),
          null,
          "(one of app or static)",
          "\"web\"",
          """
          Send matching requests to this app's instances. The app must have a web process (a
          command, or a web: line in its Procfile) or upstreams.
          """);

  static final Key<Path> STATIC =
      Key.of(
          "static",
          Types.DIRECTORY,
          null,
          "(one of app or static)",
          "\"public\"",
          """
          Serve files below this directory (relative to the config file's) instead: GET and HEAD,
          index.html for directories, ranges, conditional requests and ETags as nginx.
          """);

  static final Key<JsonNode> ACCESS_LOG =
      Key.table(
          "access_log",
          Types.table("a table like { path = \"access.log\" }"),
          """
          This route's requests go to another log, or none: a table with any of the keys of
          [access_log], e.g. { path = "api.log", format = "json" } or { enabled = false }. A key
          it does not set is the [access_log] one.
          """);

  static final Key<Boolean> STRIP_PREFIX =
      Key.of(
              "strip_prefix",
              Types.BOOLEAN,
              false,
              "false",
              "true",
              """
              false: the app gets the whole path, with SCRIPT_NAME and X-Forwarded-Prefix set to
              the prefix (gunicorn and Flask then build their URLs under it). true: the app gets
              the path without the prefix and X-Forwarded-Prefix only, and its redirects to
              absolute paths are put back under the prefix; the links in its pages are not, so a
              Django or Flask app links out of its mount (/static/... for /blog/static/...). Leave
              it off for gunicorn and uWSGI, which take the prefix from SCRIPT_NAME; uvicorn and
              daphne need --root-path, waitress --url-prefix (docs/routing.md). berth check and up
              warn when such a server would lose the prefix.
              """)
          .onlyWith("app");

  static final Key<Long> MAX_BODY_SIZE = limit(EdgeKeys.MAX_BODY_SIZE, "\"100m\"");

  static final Key<Duration> UPSTREAM_CONNECT_TIMEOUT =
      limit(EdgeKeys.UPSTREAM_CONNECT_TIMEOUT, "\"1s\"");

  static final Key<Duration> UPSTREAM_RESPONSE_TIMEOUT =
      limit(EdgeKeys.UPSTREAM_RESPONSE_TIMEOUT, "\"10m\"");

  static final Key<String> CACHE_CONTROL =
      Key.of(
              "cache_control",
              ValueType.of(
                  "string",
                  "a Cache-Control value like \"public, max-age=3600\"",
                  v -> {
                    String expected = "a Cache-Control value like \"public, max-age=3600\"";
                    String value = Types.nonBlank(v, expected);
                    if (value.chars().anyMatch(c -> c < ' ' || c == 0x7f)) {
                      throw new Rejected(expected);
                    }
                    return value;
                  }),
              "",
              "(none)",
              "\"public, max-age=3600\"",
              "A Cache-Control header for every file this route serves.")
          .onlyWith("static");

  static final Key<Boolean> GZIP =
      Key.of(
              "gzip",
              Types.BOOLEAN,
              true,
              "true",
              "false",
              """
              Send text-like files (text/*, JSON, JavaScript, XML, SVG) of 256 bytes or more
              gzip-compressed to clients that accept it: a newer file.gz beside the file as it is,
              else compressed by berth up to 1 MiB.
              """)
          .onlyWith("static");

  static final Key<Boolean> FOLLOW_SYMLINKS =
      Key.of(
              "follow_symlinks",
              Types.BOOLEAN,
              false,
              "false",
              "true",
              "Serve symlinks that lead out of the directory (refused with a 403 otherwise).")
          .onlyWith("static");

  static final Key<String> HSTS =
      Key.of(
          "hsts",
          TlsKeys.HSTS_TYPE,
          null,
          "(the [tls] value)",
          "\"max-age=31536000; includeSubDomains\"",
          """
          This route's Strict-Transport-Security header on TLS connections, instead of the [tls]
          hsts; false sends none.
          """);

  static final List<Key<?>> ALL =
      List.of(
          HOST,
          PATH,
          APP,
          STATIC,
          ACCESS_LOG,
          STRIP_PREFIX,
          MAX_BODY_SIZE,
          UPSTREAM_CONNECT_TIMEOUT,
          UPSTREAM_RESPONSE_TIMEOUT,
          CACHE_CONTROL,
          GZIP,
          FOLLOW_SYMLINKS,
          HSTS);

  /** A per-route limit: the [edge] key's type, defaulting to the [edge] value. */
  private static <T> Key<T> limit(Key<T> edge, String example) {
    return Key.of(
            edge.name(),
            edge.type(),
            null,
            "(the [edge] value)",
            example,
            "This route's own " + edge.name() + ", instead of the [edge] one.")
        .onlyWith("app");
  }

  private RouteKeys() {}
}
