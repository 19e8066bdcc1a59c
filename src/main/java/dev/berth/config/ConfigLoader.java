package dev.berth.config;

import static dev.berth.config.Types.quote;
import static dev.berth.config.Types.show;
import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import com.fasterxml.jackson.dataformat.toml.TomlReadFeature;
import dev.berth.config.App.SocketKind;
import dev.berth.config.Route.AppTarget;
import dev.berth.config.Route.StaticTarget;
import dev.berth.config.Route.Target;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Reads berth's TOML config file and turns it into a {@link Config}, or into a {@link
 * ConfigException} listing every problem found, each as {@code berth.toml:LINE: key: value
 * (expected: ...)}.
 */
public final class ConfigLoader {

  // Dates become java.time values (POJO nodes) instead of text, so `command = 1979-05-27` is
  // rejected as "not a string" rather than silently accepted.
  // Trailing zeros are kept so that messages show `instances: 2.0`, not a misleading `2`.
  private static final TomlMapper TOML =
      TomlMapper.builder()
          .enable(TomlReadFeature.PARSE_JAVA_TIME)
          .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
          .build();

  /** sun_path is 108 bytes on Linux, including the terminating NUL. */
  private static final int MAX_SOCKET_PATH_BYTES = 107;

  private ConfigLoader() {}

  /** Reads and checks {@code file}; relative paths in it are relative to its directory. */
  public static Config load(Path file) throws ConfigException {
    return load(file, UserAccount.currentUid() == 0);
  }

  /**
   * {@link #load(Path)} as a berth that does not run as root reads it, whoever reads it now: the
   * state dir it defaults to differs (DefaultStateDir). A service runs berth as a user, even when
   * root installs it.
   */
  public static Config loadAsUser(Path file) throws ConfigException {
    return load(file, false);
  }

  private static Config load(Path file, boolean root) throws ConfigException {
    requireNonNull(file, "file");
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ConfigException(List.of(displayName(file) + ": cannot read: " + reason(e)));
    }
    return parse(file, text, root);
  }

  /** Checks {@code text} as if read from {@code file}, which names it in messages. */
  static Config parse(Path file, String text) throws ConfigException {
    return parse(file, text, UserAccount.currentUid() == 0);
  }

  private static Config parse(Path file, String text, boolean root) throws ConfigException {
    requireNonNull(file, "file");
    requireNonNull(text, "text");
    JsonNode tree;
    try {
      tree = TOML.readTree(text);
    } catch (JacksonException e) {
      throw new ConfigException(List.of(SyntaxError.of(displayName(file), text, e)));
    } catch (DateTimeException e) {
      // Jackson's parser lets java.time reject a date such as 2021-13-40.
      throw new ConfigException(List.of(SyntaxError.of(displayName(file), text, e)));
    }
    return new Checker(file, KeyLines.scan(text), root).check(tree);
  }

  /**
   * The app as it runs from a release: its processes in {@code dir}, and, for an app with a
   * procfile, its commands read again from the release's own Procfile with the config's rules (the
   * code decides its commands). The .env file stays where the config says (or the configured dir's
   * .env): secrets are not part of a release. The release command is the config's, else the
   * Procfile's {@code release:} line.
   *
   * @throws ConfigException with one line per problem ("Procfile:3: ..."), when the release's
   *     Procfile is missing or invalid, or does not fit the config
   */
  public static App forRelease(App app, Path dir) throws ConfigException {
    requireNonNull(app, "app");
    requireNonNull(dir, "dir");
    App.Deploy deploy = app.deploy();
    Path envFile =
        app.run().envFile() != null ? app.run().envFile() : app.run().dir().resolve(".env");
    if (deploy.procfile() == null) {
      return app.inRelease(dir, app.run().command(), app.run().processes(), envFile, deploy);
    }
    Path file = dir.resolve(deploy.procfile()).normalize();
    if (!Files.isRegularFile(file)) {
      throw new ConfigException(
          List.of(
              deploy.procfile()
                  + ": not in the release (the app's procfile; expected "
                  + file
                  + ")"));
    }
    Procfile.Parsed parsed;
    try {
      parsed = Procfile.read(file);
    } catch (IOException e) {
      throw new ConfigException(List.of(deploy.procfile() + ": cannot read: " + reason(e)));
    }
    List<String> problems = new ArrayList<>(parsed.problems());
    Map<String, String> types = parsed.types();
    String name = file.getFileName().toString();
    String command = deploy.configCommand() ? app.run().command() : types.getOrDefault("web", "");
    if (deploy.configCommand() && types.containsKey("web")) {
      problems.add(name + ": web: the config gives the command already (expected: one of them)");
    }
    if (app.hasWeb() && command.isBlank()) {
      problems.add(name + ": no web: line, and the app has a web process (routes lead to it)");
    }
    Map<String, String> commands = new LinkedHashMap<>();
    types.forEach(
        (type, line) -> {
          if (!type.equals("web") && !type.equals("release")) {
            commands.put(type, line);
          }
        });
    for (App.ProcessType written : deploy.processTable()) {
      if (!written.command().isEmpty()) {
        commands.put(written.name(), written.command());
      } else if (!commands.containsKey(written.name())) {
        problems.add(
            name
                + ": no "
                + written.name()
                + ": line, and the config's processes."
                + written.name()
                + " gives only its count");
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    List<App.ProcessType> processes = App.ProcessType.merged(commands, deploy.processTable());
    String release = deploy.release() != null ? deploy.release() : types.get("release");
    return app.inRelease(dir, command, processes, envFile, deploy.withRelease(release));
  }

  private static String displayName(Path file) {
    Path name = file.getFileName();
    return name == null ? file.toString() : name.toString();
  }

  static String reason(IOException e) {
    if (e instanceof NoSuchFileException) {
      return "no such file";
    }
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof CharacterCodingException) {
      return "not valid UTF-8";
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  /** Validation of one file: collects every problem, then builds the config only if none. */
  private static final class Checker {
    private final Path file;
    private final TableReader reader;
    private final boolean asRoot;

    Checker(Path file, KeyLines keyLines, boolean asRoot) {
      this.asRoot = asRoot;
      this.file = file.toAbsolutePath().normalize();
      this.reader = new TableReader(displayName(file), this.file.getParent(), keyLines);
    }

    Config check(JsonNode root) throws ConfigException {
      Table top = new Table("", root == null || !root.isObject() ? TOML.createObjectNode() : root);
      reader.onlyKeys(top, Section.TOP);
      Path stateDir =
          reader.get(
              top,
              TopKeys.STATE_DIR,
              DefaultStateDir.of(reader.baseDir(), file, asRoot, System.getenv()));
      Duration shutdownTimeout = reader.get(top, TopKeys.SHUTDOWN_TIMEOUT);
      EdgeSettings edge = edge(top);
      AccessLogSpec accessLog =
          accessLog(
              top,
              TopKeys.ACCESS_LOG,
              new AccessLogSpec(
                  true, stateDir.resolve("log/access.log"), AccessLogSpec.Format.COMBINED));
      List<Listener> listeners = listeners(top);
      TlsSettings tls = new TlsReader(reader).settings(top);
      Map<String, App> apps = new AppReader(reader).apps(top);
      List<Route> routes = routes(top, edge.routeDefaults(), accessLog, apps, tls.hsts());
      checkSocketPaths(top, stateDir, apps);
      reader.throwProblems();
      return new Config(
          file,
          stateDir,
          shutdownTimeout,
          edge,
          accessLog,
          listeners,
          mounted(apps, routes),
          routes,
          tls);
    }

    /** Each app as its routes mount it: berth's own requests to it look like routed ones. */
    private static Map<String, App> mounted(Map<String, App> apps, List<Route> routes) {
      Map<String, App> result = new LinkedHashMap<>();
      apps.forEach((name, app) -> result.put(name, app.mountedBy(routes)));
      return result;
    }

    private EdgeSettings edge(Table top) {
      EdgeSettings d = EdgeSettings.standard();
      Table t = reader.table(top, TopKeys.EDGE);
      if (t == null) {
        return d;
      }
      reader.onlyKeys(t, Section.EDGE);
      Duration keepaliveTimeout = reader.get(t, EdgeKeys.KEEPALIVE_TIMEOUT);
      return new EdgeSettings(
          reader.get(t, EdgeKeys.MAX_HEADER_SIZE).intValue(),
          reader.get(t, EdgeKeys.MAX_URI_LENGTH).intValue(),
          reader.get(t, EdgeKeys.CLIENT_HEADER_TIMEOUT),
          keepaliveTimeout,
          reader.get(t, EdgeKeys.MAX_CONNECTIONS),
          reader.get(t, EdgeKeys.TRUSTED_PROXIES),
          reader.get(t, EdgeKeys.FORWARDED_HEADER),
          new RouteLimits(
              reader.get(t, EdgeKeys.MAX_BODY_SIZE),
              reader.get(t, EdgeKeys.UPSTREAM_CONNECT_TIMEOUT),
              reader.get(t, EdgeKeys.UPSTREAM_RESPONSE_TIMEOUT)),
          reader.get(t, EdgeKeys.THREADS),
          reader.get(t, EdgeKeys.TRANSPORT),
          new Http2Limits(
              reader.get(t, EdgeKeys.HTTP2_MAX_CONCURRENT_STREAMS),
              reader.get(t, EdgeKeys.HTTP2_MAX_HEADER_LIST_SIZE).intValue(),
              reader.get(t, EdgeKeys.HTTP2_INITIAL_WINDOW_SIZE).intValue(),
              reader.get(t, EdgeKeys.HTTP2_IDLE_TIMEOUT, keepaliveTimeout),
              reader.get(t, EdgeKeys.HTTP2_SEND_TIMEOUT)),
          reader.get(t, EdgeKeys.WEBSOCKET_IDLE_TIMEOUT),
          reader.get(t, EdgeKeys.MAX_TUNNELS));
    }

    /** The [access_log] table (or a route's access_log) in {@code parent}, over {@code d}. */
    private AccessLogSpec accessLog(Table parent, Key<JsonNode> key, AccessLogSpec d) {
      Table t = reader.table(parent, key);
      if (t == null) {
        return d;
      }
      reader.onlyKeys(t, Section.ACCESS_LOG);
      return new AccessLogSpec(
          reader.get(t, TopKeys.LOG_ENABLED, d.enabled()),
          reader.get(t, TopKeys.LOG_PATH, d.path()),
          reader.get(t, TopKeys.LOG_FORMAT, d.format()));
    }

    private List<Listener> listeners(Table top) {
      if (!top.has(TopKeys.LISTENERS)) {
        reader.require(top, TopKeys.LISTENERS);
      }
      List<Listener> listeners = new ArrayList<>();
      Map<Listener, Integer> seen = new HashMap<>();
      for (Table t : reader.tables(top, TopKeys.LISTENERS)) {
        reader.onlyKeys(t, Section.LISTENERS);
        Listener listener = reader.require(t, TopKeys.ADDRESS);
        if (listener == null) {
          continue;
        }
        String key = t.child(TopKeys.ADDRESS.name());
        Integer first = seen.putIfAbsent(listener, reader.line(key));
        if (first != null) {
          reader.report(
              key,
              show(t.get(TopKeys.ADDRESS.name()))
                  + " duplicates the listener at line "
                  + first
                  + (listener.isUnix()
                      ? " (expected: one listener per socket path)"
                      : " (expected: one listener per host and port)"));
          continue;
        }
        if (!listener.isUnix()) {
          tcpOnly(t);
        }
        ListenerTls tls = new TlsReader(reader).listener(t);
        boolean h2c = reader.get(t, TopKeys.HTTP2_CLEARTEXT);
        if (h2c && tls.secure()) {
          reader.report(
              t.child(TopKeys.HTTP2_CLEARTEXT.name()),
              "true (expected: false on a TLS listener, which offers HTTP/2 by ALPN)");
        }
        listeners.add(
            listener.isUnix()
                ? Listener.unix(unixSocket(t, listener.unix()), tls, h2c)
                : new Listener(listener.host(), listener.port(), tls, h2c));
      }
      return listeners;
    }

    /**
     * A unix-socket listener's file with its socket_mode and socket_group; on a TCP listener those
     * keys are refused.
     */
    private UnixSocket unixSocket(Table t, UnixSocket address) {
      return new UnixSocket(
          address.path(), reader.get(t, TopKeys.SOCKET_MODE), reader.get(t, TopKeys.SOCKET_GROUP));
    }

    /** Refuses socket_mode and socket_group on a TCP listener. */
    private void tcpOnly(Table t) {
      for (Key<?> key : List.of(TopKeys.SOCKET_MODE, TopKeys.SOCKET_GROUP)) {
        if (t.has(key)) {
          reader.reject(
              t.child(key.name()),
              t.get(key.name()),
              "only on a unix-socket listener, address = \"unix:/path\"");
        }
      }
    }

    private List<Route> routes(
        Table top,
        RouteLimits defaultLimits,
        AccessLogSpec defaultLog,
        Map<String, App> apps,
        String defaultHsts) {
      JsonNode appsNode = top.get(TopKeys.APPS.name());
      // Every name under [apps] counts, even an app with problems, so that a broken app does not
      // also make each of its routes fail.
      TreeSet<String> appNames = new TreeSet<>();
      if (appsNode != null && appsNode.isObject()) {
        appsNode.properties().forEach(e -> appNames.add(e.getKey()));
      }
      List<Route> routes = new ArrayList<>();
      Map<List<String>, Integer> seen = new HashMap<>();
      AccessReader access = new AccessReader(reader);
      Map<String, Map<Integer, RouteAccess.ErrorPage>> errorPages = access.errorPages(top);
      for (Table t : reader.tables(top, TopKeys.ROUTES)) {
        reader.onlyKeys(t, Section.ROUTES);
        int line = reader.line(t.path());
        String host = reader.get(t, RouteKeys.HOST);
        String path = reader.get(t, RouteKeys.PATH);
        Target target = target(t, appNames, apps, access);
        if (target instanceof AppTarget app) {
          target = new AppTarget(app.app(), app.upgrades(), compression(t));
        }
        boolean stripPrefix = reader.get(t, RouteKeys.STRIP_PREFIX);
        reader.onlyWith(t);
        RouteLimits limits =
            new RouteLimits(
                reader.get(t, RouteKeys.MAX_BODY_SIZE, defaultLimits.maxBodySize()),
                reader.get(
                    t, RouteKeys.UPSTREAM_CONNECT_TIMEOUT, defaultLimits.upstreamConnectTimeout()),
                reader.get(
                    t,
                    RouteKeys.UPSTREAM_RESPONSE_TIMEOUT,
                    defaultLimits.upstreamResponseTimeout()));
        AccessLogSpec accessLog = accessLog(t, RouteKeys.ACCESS_LOG, defaultLog);
        RouteAccess rules = access.route(t);
        if (target instanceof AppTarget app) {
          rules = rules.withErrorPages(errorPages.getOrDefault(app.app(), Map.of()));
        }
        String hsts = reader.get(t, RouteKeys.HSTS, defaultHsts);
        if (host == null || path == null || target == null) {
          continue;
        }
        Integer first = seen.putIfAbsent(List.of(host, path), line);
        if (first != null) {
          reader.report(
              t.path(),
              "host "
                  + quote(host.isEmpty() ? "*" : host)
                  + " and path "
                  + quote(path)
                  + " duplicate the route at line "
                  + first
                  + " (expected: one route per host and path)");
          continue;
        }
        Route route =
            new Route(host, path, target, stripPrefix, limits, accessLog, rules, line, hsts);
        routes.add(route);
        if (target instanceof AppTarget app && apps.containsKey(app.app())) {
          appFiles(route, apps.get(app.app()), seen, routes);
        }
      }
      return routes;
    }

    /** An app route's compress keys. */
    private Compression compression(Table route) {
      return new Compression(
          reader.get(route, RouteKeys.COMPRESS),
          reader.get(route, RouteKeys.COMPRESS_MIN_SIZE),
          reader.get(route, RouteKeys.COMPRESS_TYPES));
    }

    /**
     * The routes of the app's {@code static} directories under {@code mount}: the same host, its
     * path followed by each static path, logged as {@code mount}. A user's route at the same host
     * and path is a duplicate, whichever comes first.
     */
    private void appFiles(
        Route mount, App app, Map<List<String>, Integer> seen, List<Route> routes) {
      String key = KeyLines.join(KeyLines.join(TopKeys.APPS.name(), app.name()), "static");
      app.statics().entrySet().stream()
          .sorted(Map.Entry.comparingByKey())
          .forEach(
              entry -> {
                String path =
                    mount.path().equals("/") ? entry.getKey() : mount.path() + entry.getKey();
                String where = KeyLines.join(key, entry.getKey());
                int line = reader.line(where);
                Integer first = seen.putIfAbsent(List.of(mount.host(), path), line);
                if (first != null) {
                  reader.report(
                      where,
                      quote(entry.getKey())
                          + " under the route at line "
                          + mount.line()
                          + " makes host "
                          + quote(mount.host().isEmpty() ? "*" : mount.host())
                          + " and path "
                          + quote(path)
                          + ", which the route at line "
                          + first
                          + " has (expected: one route per host and path)");
                  return;
                }
                routes.add(
                    new Route(
                        mount.host(),
                        path,
                        new Route.ReleaseFilesTarget(app.name(), entry.getValue()),
                        false,
                        mount.limits(),
                        mount.accessLog(),
                        mount.access().withErrorPages(Map.of()),
                        line,
                        mount.hsts()));
              });
    }

    /** The route's app, static or redirect target, or null if a problem has been reported. */
    private Target target(
        Table route, TreeSet<String> appNames, Map<String, App> apps, AccessReader access) {
      List<String> given =
          java.util.stream.Stream.of(RouteKeys.APP, RouteKeys.STATIC, RouteKeys.REDIRECT)
              .filter(route::has)
              .map(Key::name)
              .toList();
      if (given.size() != 1) {
        reader.report(
            route.path(),
            (given.isEmpty() ? "neither app nor static" : "both " + String.join(" and ", given))
                + " (expected: exactly one of app = \"<app name>\", static = \"<directory>\""
                + " or redirect = \"<url>\")");
        return null;
      }
      boolean hasStatic = route.has(RouteKeys.STATIC);
      boolean hasRedirect = route.has(RouteKeys.REDIRECT);
      if (hasRedirect) {
        return access.redirect(route);
      }
      if (hasStatic) {
        Path root = reader.get(route, RouteKeys.STATIC);
        String cacheControl = reader.get(route, RouteKeys.CACHE_CONTROL);
        boolean gzip = reader.get(route, RouteKeys.GZIP);
        boolean followSymlinks = reader.get(route, RouteKeys.FOLLOW_SYMLINKS);
        return root == null ? null : new StaticTarget(root, cacheControl, gzip, followSymlinks);
      }
      String expected =
          appNames.isEmpty()
              ? "the name of an app defined under [apps], but there are none"
              : "one of the apps: " + String.join(", ", appNames);
      ValueType<String> known =
          ValueType.of(
              RouteKeys.APP.type().name(),
              expected,
              v -> {
                String appName = Types.string(v, expected);
                if (!appNames.contains(appName)) {
                  throw new Rejected(expected);
                }
                App target = apps.get(appName);
                if (target != null && !target.external() && !target.hasWeb()) {
                  throw new Rejected(
                      "an app with a web process; "
                          + appName
                          + " has none (no command, no web: line)");
                }
                return appName;
              });
      String app = reader.read(route, RouteKeys.APP.name(), known, null);
      return app == null
          ? null
          : new AppTarget(app, reader.get(route, RouteKeys.UPGRADES), Compression.DEFAULT);
    }

    /**
     * Unix socket paths are limited by sun_path; checking here fails at load instead of at the
     * first start of the instance with the longest name.
     */
    private void checkSocketPaths(Table top, Path stateDir, Map<String, App> apps) {
      String longest = null;
      for (App app : apps.values()) {
        if (app.external() || !app.hasWeb() || app.run().socket() != SocketKind.UNIX) {
          continue;
        }
        // As the supervisor names them: app/app-N.G.sock, N at most MAX_INSTANCES (berth scale).
        String socket =
            stateDir
                .resolve(
                    "run/"
                        + app.name()
                        + "/"
                        + app.name()
                        + "-"
                        + AppKeys.MAX_INSTANCES
                        + ".1.sock")
                .toString();
        if (longest == null || bytes(socket) > bytes(longest)) {
          longest = socket;
        }
      }
      if (longest == null || bytes(longest) <= MAX_SOCKET_PATH_BYTES) {
        return;
      }
      JsonNode given = top.get(TopKeys.STATE_DIR.name());
      reader.report(
          TopKeys.STATE_DIR.name(),
          (given == null ? "(default) " + stateDir : show(given))
              + " makes the unix socket path "
              + longest
              + " "
              + bytes(longest)
              + " bytes long (expected: socket paths of at most "
              + MAX_SOCKET_PATH_BYTES
              + " bytes; set a shorter state_dir)");
    }

    private static int bytes(String s) {
      return s.getBytes(StandardCharsets.UTF_8).length;
    }
  }
}
