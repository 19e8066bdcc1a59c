package dev.berth.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

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
          "(one of app, static or redirect)",
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
          "(one of app, static or redirect)",
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

  static final String CODINGS_EXPECTED =
      "a list of \"zstd\", \"br\" and \"gzip\" in order of preference, each once, or [] for"
          + " none";

  static final Key<List<Compression.Coding>> COMPRESS =
      Key.of(
              "compress",
              ValueType.of("array of strings", CODINGS_EXPECTED, RouteKeys::codings),
              Compression.DEFAULT_CODINGS,
              "[\"zstd\", \"br\", \"gzip\"]",
              "[\"gzip\"]",
              """
              Compress the app's responses for clients that accept it (Accept-Encoding), with the
              first of these codings the client takes at its highest q; [] turns it off. Only
              responses of compress_types, of compress_min_size or more (or of unknown length), that
              the app did not encode itself; never an answer to HEAD or a Range (206), nor one with
              Cache-Control: no-transform. A compressed response gets Vary: Accept-Encoding, no
              Content-Length, and a weak ETag. Streamed responses (Server-Sent Events) are
              compressed piece by piece as the app sends them (docs/compression.md).
              """)
          .onlyWith("app");

  static final Key<Long> COMPRESS_MIN_SIZE =
      Key.of(
              "compress_min_size",
              Types.size(0, 1L << 40),
              Compression.DEFAULT_MIN_SIZE,
              "256",
              "\"1k\"",
              """
              Responses with a smaller Content-Length go out as they are: compressing them gains
              less than a packet.
              """)
          .onlyWith("app");

  static final String TYPES_EXPECTED =
      "a list of media types like [\"text/*\", \"application/json\"]";

  private static final Pattern MEDIA_TYPE =
      Pattern.compile("[a-z0-9!#$&^_.+-]+/(\\*|[a-z0-9!#$&^_.+-]+)");

  static final Key<List<String>> COMPRESS_TYPES =
      Key.of(
              "compress_types",
              ValueType.of("array of strings", TYPES_EXPECTED, RouteKeys::mediaTypes),
              Compression.DEFAULT_TYPES,
              "(text/*, JSON, JavaScript, XML, SVG and other text-like types)",
              "[\"text/html\", \"application/json\"]",
              """
              The Content-Types that compress compresses, parameters aside: "type/subtype", or
              "type/*" for all of a type. The default: text/*, application/json,
              application/javascript, application/xml, application/xhtml+xml,
              application/atom+xml, application/rss+xml, application/ld+json,
              application/manifest+json, application/problem+json, application/geo+json,
              application/wasm, image/svg+xml, image/x-icon, font/ttf and font/otf. Other images,
              audio, video, woff fonts and archives are compressed already.
              """)
          .onlyWith("app");

  static final Key<Boolean> FOLLOW_SYMLINKS =
      Key.of(
              "follow_symlinks",
              Types.BOOLEAN,
              false,
              "false",
              "true",
              "Serve symlinks that lead out of the directory (refused with a 403 otherwise).")
          .onlyWith("static");

  static final String REDIRECT_EXPECTED =
      "an absolute URL like \"https://example.com{uri}\", where {uri}, {path}, {query} and"
          + " {host} stand for the request's";

  static final Key<String> REDIRECT =
      Key.of(
          "redirect",
          ValueType.of("string", REDIRECT_EXPECTED, RouteKeys::redirect),
          null,
          "(one of app, static or redirect)",
          "\"https://example.com{uri}\"",
          """
          Answer every request with a redirect to this URL instead (www to apex, an old name to
          a new one). {uri} is the request's path and query as sent, {path} and {query} each
          alone (the query without "?"), {host} its Host without port. The access rules of the
          route apply first.
          """);

  static final Key<Integer> REDIRECT_CODE =
      Key.of(
              "redirect_code",
              ValueType.of(
                  "integer",
                  "301, 302, 307 or 308",
                  v -> {
                    if (!v.isIntegralNumber()
                        || !v.canConvertToInt()
                        || !List.of(301, 302, 307, 308).contains(v.asInt())) {
                      throw new Rejected("301, 302, 307 or 308");
                    }
                    return v.asInt();
                  }),
              308,
              "308",
              "301",
              """
              The redirect's status: 308 (permanent, the method kept), 301 (permanent, as most
              www-to-apex redirects are written for nginx; browsers turn a POST into a GET),
              302 or 307 (temporary).
              """)
          .onlyWith("redirect");

  static final Key<List<Cidr>> ALLOW =
      Key.of(
          "allow",
          Addresses.CIDRS,
          List.of(),
          "[]",
          "[\"10.0.0.0/8\", \"127.0.0.1\"]",
          """
          Only clients in these blocks get past this route; others get a 403. deny is checked
          first. The client is the connection's peer, or behind trusted_proxies the last address
          in X-Forwarded-For that is not one of them (as nginx's real_ip_recursive).
          """);

  static final Key<List<Cidr>> DENY =
      Key.of(
          "deny",
          Addresses.CIDRS,
          List.of(),
          "[]",
          "[\"192.0.2.0/24\"]",
          "Clients in these blocks get a 403 on this route, whatever allow says.");

  static final Key<JsonNode> BASIC_AUTH =
      Key.table(
          "basic_auth",
          Types.table("a table like { users_file = \"staging.htpasswd\" }"),
          """
          Ask for a user name and password (HTTP Basic authentication): a 401 with
          WWW-Authenticate until the client sends a user of the file with its password. Use it
          over HTTPS only: Basic sends the password in clear.
          """);

  static final Key<Path> USERS_FILE =
      Key.of(
          "users_file",
          Types.FILE_PATH,
          null,
          "(required)",
          "\"staging.htpasswd\"",
          """
          An htpasswd file (relative to the config file's directory) of USER:HASH lines with
          bcrypt hashes, as berth passwd FILE USER writes them (or htpasswd -B). Read at check,
          up and each reload; MD5, SHA-1 and crypt lines are refused as weak. The app gets the
          Authorization header as the client sent it, as nginx passes it.
          """);

  static final Key<String> REALM =
      Key.of(
          "realm",
          ValueType.of(
              "string",
              "a short text without quotes, backslashes or control characters",
              v -> {
                String expected = "a short text without quotes, backslashes or control characters";
                String realm = Types.nonBlank(v, expected);
                if (realm.length() > 200
                    || realm.chars().anyMatch(c -> c < ' ' || c == 0x7f || c == '"' || c == '\\')) {
                  throw new Rejected(expected);
                }
                return realm;
              }),
          "restricted",
          "\"restricted\"",
          "\"Staging\"",
          "The realm of WWW-Authenticate, which browsers may show in their password prompt.");

  static final List<Key<?>> BASIC_AUTH_KEYS = List.of(USERS_FILE, REALM);

  static final Key<JsonNode> RATE_LIMIT =
      Key.table(
          "rate_limit",
          Types.table("a table like { requests = 10, per = \"1s\", burst = 20 }"),
          """
          A limit per client address: a token bucket that holds burst tokens and gets requests
          tokens back in each period of per; a request takes one. A request without a token
          gets a 429 with Retry-After (seconds). An IPv6 client counts by its /64, which one
          host usually has whole.
          """);

  static final Key<Integer> REQUESTS =
      Key.of(
          "requests",
          Types.integer(1, 1_000_000),
          null,
          "(required)",
          "10",
          "How many requests a client may make in each period of per, on average.");

  static final Key<Duration> PER =
      Key.of(
          "per",
          Types.DURATION_TYPE,
          Duration.ofSeconds(1),
          "\"1s\"",
          "\"1m\"",
          "The period that requests is counted over.");

  static final Key<Integer> BURST =
      Key.of(
          "burst",
          Types.integer(1, 1_000_000),
          null,
          "(requests)",
          "20",
          """
          How many requests a client may make at once, after a quiet time (the bucket's size).
          """);

  static final List<Key<?>> RATE_LIMIT_KEYS = List.of(REQUESTS, PER, BURST);

  static final String UPGRADES_EXPECTED =
      "a list of protocol names like [\"websocket\"], never h2c";

  static final Key<List<String>> UPGRADES =
      Key.of(
              "upgrades",
              ValueType.of("array of strings", UPGRADES_EXPECTED, RouteKeys::upgrades),
              Route.AppTarget.DEFAULT_UPGRADES,
              "[\"websocket\"]",
              "[]",
              """
              The protocols an HTTP/1.1 request may switch to (Upgrade) on this route: the
              request goes to the app with its Upgrade and Connection fields, and after the app's
              101 the two connections become a byte tunnel (docs/websockets.md). [] passes no
              Upgrade on, as before.
              """)
          .onlyWith("app");

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
          REDIRECT,
          REDIRECT_CODE,
          ALLOW,
          DENY,
          BASIC_AUTH,
          RATE_LIMIT,
          ACCESS_LOG,
          STRIP_PREFIX,
          UPGRADES,
          MAX_BODY_SIZE,
          UPSTREAM_CONNECT_TIMEOUT,
          UPSTREAM_RESPONSE_TIMEOUT,
          CACHE_CONTROL,
          COMPRESS,
          COMPRESS_MIN_SIZE,
          COMPRESS_TYPES,
          GZIP,
          FOLLOW_SYMLINKS,
          HSTS);

  /**
   * Lower-cased tokens; "h2c" is refused: berth speaks HTTP/2 itself, and an h2c tunnel through a
   * proxy would carry requests that no route or rule of berth's ever sees.
   */
  private static List<String> upgrades(JsonNode value) throws Rejected {
    if (!value.isArray()) {
      throw new Rejected(UPGRADES_EXPECTED);
    }
    List<String> names = new java.util.ArrayList<>();
    for (JsonNode element : value) {
      String name =
          Types.nonBlank(element, UPGRADES_EXPECTED).strip().toLowerCase(java.util.Locale.ROOT);
      boolean token =
          name.chars()
              .allMatch(
                  c ->
                      (c >= 'a' && c <= 'z')
                          || (c >= '0' && c <= '9')
                          || "!#$%&'*+-.^_`|~/".indexOf(c) >= 0);
      if (!token || name.equals("h2c") || name.startsWith("h2c/")) {
        throw new Rejected(UPGRADES_EXPECTED + "; " + element + " is not one");
      }
      if (!names.contains(name)) {
        names.add(name);
      }
    }
    return List.copyOf(names);
  }

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

  /** Content codings berth can apply, each once, in the order given. */
  private static List<Compression.Coding> codings(JsonNode value) throws Rejected {
    if (!value.isArray()) {
      throw new Rejected(CODINGS_EXPECTED);
    }
    List<Compression.Coding> codings = new ArrayList<>();
    for (JsonNode element : value) {
      Compression.Coding coding = Compression.Coding.of(Types.string(element, CODINGS_EXPECTED));
      if (coding == null) {
        throw new Rejected(CODINGS_EXPECTED + "; " + Types.show(element) + " is not one");
      }
      if (codings.contains(coding)) {
        throw new Rejected(CODINGS_EXPECTED + "; " + Types.show(element) + " twice");
      }
      codings.add(coding);
    }
    return List.copyOf(codings);
  }

  /** "type/subtype" or "type/*", tokens as RFC 9110 8.3.1 has them; kept in lower case. */
  private static List<String> mediaTypes(JsonNode value) throws Rejected {
    if (!value.isArray() || value.isEmpty()) {
      throw new Rejected(TYPES_EXPECTED);
    }
    List<String> types = new ArrayList<>();
    for (JsonNode element : value) {
      String type = Types.string(element, TYPES_EXPECTED).toLowerCase(Locale.ROOT);
      if (!MEDIA_TYPE.matcher(type).matches()) {
        throw new Rejected(TYPES_EXPECTED + "; " + Types.show(element) + " is not one");
      }
      types.add(type);
    }
    return List.copyOf(types);
  }

  /** An absolute http(s) URL, its braces only around the placeholders a redirect knows. */
  private static String redirect(JsonNode value) throws Rejected {
    String url = Types.nonBlank(value, REDIRECT_EXPECTED);
    String lower = url.toLowerCase(java.util.Locale.ROOT);
    int rest = lower.startsWith("https://") ? 8 : lower.startsWith("http://") ? 7 : -1;
    if (rest < 0
        || rest == url.length()
        || url.charAt(rest) == '/'
        || url.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
      throw new Rejected(REDIRECT_EXPECTED);
    }
    for (int at = url.indexOf('{'); at >= 0; at = url.indexOf('{', at + 1)) {
      int close = url.indexOf('}', at);
      if (close < 0 || !Route.RedirectTarget.PLACEHOLDERS.contains(url.substring(at + 1, close))) {
        throw new Rejected(REDIRECT_EXPECTED);
      }
    }
    if (url.replaceAll("\\{[a-z]+}", "").contains("}")) {
      throw new Rejected(REDIRECT_EXPECTED);
    }
    return url;
  }

  private RouteKeys() {}
}
