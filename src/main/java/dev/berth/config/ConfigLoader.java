package dev.berth.config;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import com.fasterxml.jackson.dataformat.toml.TomlReadFeature;
import dev.berth.config.App.SocketKind;
import dev.berth.config.Route.AppTarget;
import dev.berth.config.Route.StaticTarget;
import dev.berth.config.Route.Target;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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

  private static final List<String> TOP_KEYS =
      List.of("state_dir", "shutdown_timeout", "edge", "access_log", "listeners", "apps", "routes");
  private static final List<String> LIMIT_KEYS =
      List.of("max_body_size", "upstream_connect_timeout", "upstream_response_timeout");
  private static final List<String> EDGE_KEYS =
      concat(
          List.of(
              "max_header_size",
              "max_uri_length",
              "client_header_timeout",
              "keepalive_timeout",
              "max_connections",
              "trusted_proxies",
              "forwarded_header",
              "threads",
              "transport"),
          LIMIT_KEYS);
  private static final List<String> ACCESS_LOG_KEYS = List.of("enabled", "path", "format");
  private static final List<String> LISTENER_KEYS = List.of("address");

  /** Keys about running processes: meaningless for an app given by its upstreams. */
  private static final List<String> PROCESS_KEYS =
      List.of(
          "dir",
          "command",
          "instances",
          "env",
          "socket",
          "start_timeout",
          "stop_timeout",
          "max_restarts",
          "restart_window",
          "drain_timeout",
          "procfile",
          "processes",
          "env_file",
          "max_requests",
          "max_requests_jitter",
          "max_memory",
          "user",
          "build",
          "release",
          "keep_releases",
          "build_timeout",
          "release_timeout");

  /** Keys about how the edge reaches an app, run by berth or not. */
  private static final List<String> BACKEND_KEYS =
      List.of("balance", "health_check", "keepalive", "keepalive_timeout", "upstreams");

  /** In the order error messages list them: the basics, how it is reached, then the rest. */
  private static final List<String> APP_KEYS =
      concat(
          PROCESS_KEYS.subList(0, 7),
          concat(BACKEND_KEYS, PROCESS_KEYS.subList(7, PROCESS_KEYS.size())));

  private static final List<String> PROCESS_TYPE_KEYS = List.of("command", "instances");
  private static final List<String> HEALTH_CHECK_KEYS = List.of("path", "interval", "timeout");
  private static final List<String> STATIC_KEYS =
      List.of("cache_control", "gzip", "follow_symlinks");
  private static final List<String> APP_ROUTE_KEYS = concat(List.of("strip_prefix"), LIMIT_KEYS);
  private static final List<String> ROUTE_KEYS =
      concat(
          List.of("host", "path", "app", "static", "access_log"),
          concat(APP_ROUTE_KEYS, STATIC_KEYS));

  private static final Pattern APP_NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,39}");
  private static final Set<String> RESERVED_APP_NAMES = Set.of("berth", "access");
  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final Pattern DURATION = Pattern.compile("([0-9]+)(ms|s|m|h)");
  private static final Pattern DNS_NAME =
      Pattern.compile("(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\\.(?!-)[a-z0-9-]{1,63}(?<!-))*");
  private static final Pattern PORT = Pattern.compile("[0-9]{1,5}");
  private static final Pattern SIZE = Pattern.compile("([0-9]{1,12})([kKmMgG]?)");

  private static final Duration MAX_DURATION = Duration.ofHours(24);

  /** Stands for durations too long to represent; only ever rejected. */
  private static final Duration TOO_LONG = MAX_DURATION.plusSeconds(1);

  private static final int MAX_INSTANCES = 64;
  private static final int MAX_REQUESTS = 1_000_000_000;

  /** Below this, an instance would be recycled as soon as it started. */
  private static final long MIN_MAX_MEMORY = 1L << 20;

  /** sun_path is 108 bytes on Linux, including the terminating NUL. */
  private static final int MAX_SOCKET_PATH_BYTES = 107;

  private static final String SIZE_EXPECTED =
      "a size like \"8k\", \"10m\", \"1g\" or a number of bytes";
  private static final String DURATION_EXPECTED = "a duration like \"30s\", \"500ms\" or \"2m\"";
  private static final String ADDRESS_EXPECTED =
      "\"host:port\" like \"127.0.0.1:8080\", \":8080\" (all interfaces) or \"[::1]:8080\","
          + " with a port from 1 to 65535";
  private static final String HOST_EXPECTED =
      "a host name like \"example.com\", a wildcard like \"*.example.com\" or \"*\" for any host,"
          + " without scheme or port";
  private static final String PATH_EXPECTED =
      "a path starting with \"/\", without \"?\", \"#\", \"//\", spaces, \".\" or \"..\" segments";

  private ConfigLoader() {}

  /** Reads and checks {@code file}; relative paths in it are relative to its directory. */
  public static Config load(Path file) throws ConfigException {
    requireNonNull(file, "file");
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ConfigException(List.of(displayName(file) + ": cannot read: " + reason(e)));
    }
    return parse(file, text);
  }

  /** Checks {@code text} as if read from {@code file}, which names it in messages. */
  static Config parse(Path file, String text) throws ConfigException {
    requireNonNull(file, "file");
    requireNonNull(text, "text");
    JsonNode root;
    try {
      root = TOML.readTree(text);
    } catch (JacksonException e) {
      throw new ConfigException(List.of(syntaxProblem(displayName(file), e)));
    }
    return new Checker(file, KeyLines.scan(text)).check(root);
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
    Path envFile = app.envFile() != null ? app.envFile() : app.dir().resolve(".env");
    if (deploy.procfile() == null) {
      return new App(
          app.name(),
          dir,
          app.command(),
          app.instances(),
          app.env(),
          app.socket(),
          app.startTimeout(),
          app.stopTimeout(),
          app.balance(),
          app.healthCheck(),
          app.keepalive(),
          app.keepaliveTimeout(),
          app.upstreams(),
          app.restarts(),
          app.drainTimeout(),
          app.processes(),
          envFile,
          app.recycle(),
          app.user(),
          deploy);
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
    String command = deploy.configCommand() ? app.command() : types.getOrDefault("web", "");
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
    Map<String, Integer> counts = new LinkedHashMap<>();
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
      counts.put(written.name(), written.instances());
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    List<App.ProcessType> processes = new ArrayList<>();
    commands.forEach(
        (type, line) ->
            processes.add(new App.ProcessType(type, line, counts.getOrDefault(type, 1))));
    String release = deploy.release() != null ? deploy.release() : types.get("release");
    return new App(
        app.name(),
        dir,
        command,
        app.instances(),
        app.env(),
        app.socket(),
        app.startTimeout(),
        app.stopTimeout(),
        app.balance(),
        app.healthCheck(),
        app.keepalive(),
        app.keepaliveTimeout(),
        app.upstreams(),
        app.restarts(),
        app.drainTimeout(),
        processes,
        envFile,
        app.recycle(),
        app.user(),
        deploy.withRelease(release));
  }

  private static String displayName(Path file) {
    Path name = file.getFileName();
    return name == null ? file.toString() : name.toString();
  }

  private static String reason(IOException e) {
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

  private static String syntaxProblem(String name, JacksonException e) {
    // getOriginalMessage() is the message without Jackson's " at [Source: ...]" suffix.
    String message = e.getOriginalMessage() == null ? "syntax error" : e.getOriginalMessage();
    message = message.lines().findFirst().orElse("syntax error");
    JsonLocation at = e.getLocation();
    if (at == null || at.getLineNr() < 1) {
      return name + ": " + message;
    }
    return name + ":" + at.getLineNr() + ":" + Math.max(at.getColumnNr(), 1) + ": " + message;
  }

  /** A problem and the line it is on, so that problems can be listed in file order. */
  private record Problem(int line, String text) {}

  /** Thrown by a {@link Reader} for a value it does not accept. */
  private static final class Rejected extends Exception {
    Rejected(String expected) {
      super(expected, null, false, false);
    }

    String expected() {
      return getMessage();
    }
  }

  /** Turns one TOML value into a Java value, or rejects it saying what it expected instead. */
  @FunctionalInterface
  private interface Reader<T> {
    T read(JsonNode value) throws Rejected;
  }

  /** A TOML table with the dotted path the user wrote to reach it. */
  private record Table(String path, JsonNode node) {
    String child(String key) {
      return KeyLines.join(path, key);
    }

    JsonNode get(String key) {
      return node.get(key);
    }
  }

  /** Validation of one file: collects every problem, then builds the config only if none. */
  private static final class Checker {
    private final Path file;
    private final String name;
    private final Path baseDir;
    private final KeyLines keyLines;
    private final List<Problem> problems = new ArrayList<>();

    Checker(Path file, KeyLines keyLines) {
      this.file = file.toAbsolutePath().normalize();
      this.name = displayName(file);
      this.baseDir = this.file.getParent();
      this.keyLines = keyLines;
    }

    Config check(JsonNode root) throws ConfigException {
      Table top = new Table("", root == null || !root.isObject() ? TOML.createObjectNode() : root);
      onlyKeys(top, TOP_KEYS);
      Path stateDir = optional(top, "state_dir", baseDir.resolve(".berth"), this::relativePath);
      Duration shutdownTimeout =
          optional(top, "shutdown_timeout", Duration.ofSeconds(10), ConfigLoader::duration);
      EdgeSettings edge = edge(top);
      AccessLogSpec accessLog =
          accessLog(
              top,
              new AccessLogSpec(
                  true, stateDir.resolve("log/access.log"), AccessLogSpec.Format.COMBINED));
      List<Listener> listeners = listeners(top);
      Map<String, App> apps = apps(top);
      List<Route> routes = routes(top, edge.routeDefaults(), accessLog, apps);
      checkSocketPaths(top, stateDir, apps);
      if (!problems.isEmpty()) {
        throw new ConfigException(
            problems.stream()
                .sorted(Comparator.comparingInt(Problem::line))
                .map(Problem::text)
                .toList());
      }
      return new Config(file, stateDir, shutdownTimeout, edge, accessLog, listeners, apps, routes);
    }

    private EdgeSettings edge(Table top) {
      EdgeSettings d = EdgeSettings.standard();
      Table t = optional(top, "edge", null, v -> ConfigLoader.table("edge", v, "an [edge] table"));
      if (t == null) {
        return d;
      }
      onlyKeys(t, EDGE_KEYS);
      return new EdgeSettings(
          optional(t, "max_header_size", (long) d.maxHeaderSize(), v -> size(v, 1024, 1024 * 1024))
              .intValue(),
          optional(t, "max_uri_length", (long) d.maxUriLength(), v -> size(v, 256, 1024 * 1024))
              .intValue(),
          optional(t, "client_header_timeout", d.clientHeaderTimeout(), ConfigLoader::duration),
          optional(t, "keepalive_timeout", d.keepaliveTimeout(), ConfigLoader::duration),
          optional(t, "max_connections", d.maxConnections(), v -> integer(v, 1, 1_000_000)),
          optional(t, "trusted_proxies", d.trustedProxies(), ConfigLoader::cidrs),
          optional(t, "forwarded_header", d.forwardedHeader(), ConfigLoader::bool),
          limits(t, d.routeDefaults()),
          optional(t, "threads", d.threads(), ConfigLoader::threads),
          optional(t, "transport", d.transport(), ConfigLoader::transport));
    }

    /** Body size and upstream timeouts in {@code t}, each defaulting to {@code d}'s. */
    private RouteLimits limits(Table t, RouteLimits d) {
      return new RouteLimits(
          optional(t, "max_body_size", d.maxBodySize(), v -> size(v, 0, Long.MAX_VALUE)),
          optional(
              t, "upstream_connect_timeout", d.upstreamConnectTimeout(), ConfigLoader::duration),
          optional(
              t, "upstream_response_timeout", d.upstreamResponseTimeout(), ConfigLoader::duration));
    }

    /** The [access_log] table (or a route's access_log) in {@code parent}, over {@code d}. */
    private AccessLogSpec accessLog(Table parent, AccessLogSpec d) {
      String path = parent.child("access_log");
      Table t =
          optional(
              parent,
              "access_log",
              null,
              v -> ConfigLoader.table(path, v, "a table like { path = \"access.log\" }"));
      if (t == null) {
        return d;
      }
      onlyKeys(t, ACCESS_LOG_KEYS);
      return new AccessLogSpec(
          optional(t, "enabled", d.enabled(), ConfigLoader::bool),
          optional(t, "path", d.path(), v -> resolve(v, "a file path")),
          optional(t, "format", d.format(), ConfigLoader::logFormat));
    }

    private List<Listener> listeners(Table top) {
      String expected = "at least one [[listeners]] table with an address like \":8080\"";
      List<Table> tables = required(top, "listeners", expected, tables("listeners", expected, 1));
      List<Listener> listeners = new ArrayList<>();
      Map<Listener, Integer> seen = new HashMap<>();
      for (Table t : tables == null ? List.<Table>of() : tables) {
        onlyKeys(t, LISTENER_KEYS);
        Listener listener = required(t, "address", ADDRESS_EXPECTED, ConfigLoader::address);
        if (listener == null) {
          continue;
        }
        String key = t.child("address");
        Integer first = seen.putIfAbsent(listener, keyLines.line(key));
        if (first != null) {
          report(
              key,
              show(t.get("address"))
                  + " duplicates the listener at line "
                  + first
                  + " (expected: one listener per host and port)");
          continue;
        }
        listeners.add(listener);
      }
      return listeners;
    }

    private Map<String, App> apps(Table top) {
      Table apps =
          optional(top, "apps", null, v -> ConfigLoader.table("apps", v, "[apps.NAME] tables"));
      Map<String, App> result = new LinkedHashMap<>();
      if (apps == null) {
        return result;
      }
      for (Map.Entry<String, JsonNode> entry : apps.node().properties()) {
        String appName = entry.getKey();
        String path = apps.child(appName);
        if (!APP_NAME.matcher(appName).matches()) {
          report(
              path,
              "invalid app name "
                  + quote(appName)
                  + " (expected: 1 to 40 lower-case letters, digits, \"_\" or \"-\","
                  + " starting with a letter or digit)");
        } else if (RESERVED_APP_NAMES.contains(appName)) {
          report(
              path,
              "app name "
                  + quote(appName)
                  + " is reserved (berth's own logs are berth.log and access.log)");
        }
        Table t = table(path, entry.getValue(), "a table like [" + path + "]");
        if (t != null) {
          App app = app(appName, t);
          if (app != null) {
            result.put(appName, app);
          }
        }
      }
      return result;
    }

    /** The app in {@code t}, or null if a problem has been reported. */
    private App app(String appName, Table t) {
      onlyKeys(t, APP_KEYS);
      List<UpstreamAddress> upstreams =
          optional(t, "upstreams", List.of(), ConfigLoader::upstreams);
      boolean external = t.get("upstreams") != null;
      if (external) {
        for (String key : PROCESS_KEYS) {
          if (t.get(key) != null) {
            reject(
                t.child(key),
                t.get(key),
                "no " + key + " for an app given by its upstreams; berth does not run it");
          }
        }
      }
      Path dir = optional(t, "dir", baseDir, this::directory);
      String commandExpected = "a non-blank command line";
      Map<String, String> procfile = dir == null ? Map.of() : procfile(t, dir);
      List<App.ProcessType> processTable = new ArrayList<>();
      List<App.ProcessType> processes =
          dir == null ? List.of() : processes(t, procfile, processTable);
      String command;
      if (external) {
        command = "";
      } else if (t.get("command") != null
          || (t.get("procfile") == null && t.get("processes") == null)) {
        command =
            required(
                t,
                "command",
                "a non-blank command line, a procfile, or processes",
                v -> nonBlank(v, commandExpected));
        if (procfile.containsKey("web") && command != null) {
          reject(
              t.child("command"),
              t.get("command"),
              "no command when the procfile has a web: line; one of them");
        }
      } else {
        // From the procfile, or none: a worker-only app (problems in either are reported there).
        command = procfile.getOrDefault("web", "");
      }
      Path envFile =
          dir == null
              ? null
              : optional(t, "env_file", null, v -> file(dir, v, "a file of NAME=value lines"));
      int instances = optional(t, "instances", 1, v -> integer(v, 1, MAX_INSTANCES));
      Map<String, String> env = env(t);
      SocketKind socket = optional(t, "socket", SocketKind.UNIX, ConfigLoader::socketKind);
      Duration startTimeout =
          optional(t, "start_timeout", Duration.ofSeconds(30), ConfigLoader::duration);
      Duration stopTimeout =
          optional(t, "stop_timeout", Duration.ofSeconds(10), ConfigLoader::duration);
      App.Balance balance = optional(t, "balance", App.Balance.ROUND_ROBIN, ConfigLoader::balance);
      App.HealthCheck healthCheck = healthCheck(t);
      int keepalive = optional(t, "keepalive", 64, v -> integer(v, 0, 1024));
      Duration keepaliveTimeout =
          optional(t, "keepalive_timeout", Duration.ofSeconds(60), ConfigLoader::duration);
      int maxRestarts = optional(t, "max_restarts", 5, v -> integer(v, 0, 1000));
      Duration restartWindow =
          optional(t, "restart_window", Duration.ofSeconds(60), ConfigLoader::duration);
      Duration drainTimeout =
          optional(t, "drain_timeout", Duration.ofSeconds(30), ConfigLoader::duration);
      App.Recycle recycle = recycle(t);
      String user = optional(t, "user", null, ConfigLoader::user);
      App.Deploy deploy = deploy(t, processTable);
      if (dir == null || command == null || env == null) {
        return null;
      }
      return new App(
          appName,
          dir,
          command,
          instances,
          env,
          socket,
          startTimeout,
          stopTimeout,
          balance,
          healthCheck,
          keepalive,
          keepaliveTimeout,
          upstreams,
          new App.Restarts(maxRestarts, restartWindow),
          drainTimeout,
          processes,
          envFile,
          recycle,
          user,
          deploy);
    }

    /**
     * build, release, keep_releases and the phase timeouts, with what the config said about
     * commands.
     */
    private App.Deploy deploy(Table app, List<App.ProcessType> processTable) {
      App.Deploy d = App.Deploy.NONE;
      String commandExpected = "a non-blank command line";
      String build = optional(app, "build", null, v -> nonBlank(v, commandExpected));
      String release = optional(app, "release", null, v -> nonBlank(v, commandExpected));
      int keep = optional(app, "keep_releases", d.keepReleases(), v -> integer(v, 1, 1000));
      Duration buildTimeout =
          optional(app, "build_timeout", d.buildTimeout(), ConfigLoader::duration);
      Duration releaseTimeout =
          optional(app, "release_timeout", d.releaseTimeout(), ConfigLoader::duration);
      String procfile =
          app.get("procfile") != null && app.get("procfile").isTextual()
              ? app.get("procfile").asText()
              : null;
      return new App.Deploy(
          build,
          release,
          keep,
          buildTimeout,
          releaseTimeout,
          procfile,
          app.get("command") != null,
          processTable);
    }

    /** max_requests (+ jitter) and max_memory; {@link App.Recycle#NONE} when neither is set. */
    private App.Recycle recycle(Table app) {
      Integer maxRequests = optional(app, "max_requests", null, v -> integer(v, 1, MAX_REQUESTS));
      int jitter = optional(app, "max_requests_jitter", 0, v -> integer(v, 0, MAX_REQUESTS));
      if (app.get("max_requests_jitter") != null && app.get("max_requests") == null) {
        reject(
            app.child("max_requests_jitter"),
            app.get("max_requests_jitter"),
            "only with max_requests");
      }
      Long maxMemory =
          optional(
              app,
              "max_memory",
              null,
              v -> {
                String expected = SIZE_EXPECTED + ", at least \"1m\"";
                try {
                  long bytes = size(v, 0, Long.MAX_VALUE);
                  if (bytes >= MIN_MAX_MEMORY) {
                    return bytes;
                  }
                } catch (Rejected r) {
                  // Said below, with the minimum.
                }
                throw new Rejected(expected);
              });
      return maxRequests == null && maxMemory == null
          ? App.Recycle.NONE
          : new App.Recycle(maxRequests, maxRequests == null ? 0 : jitter, maxMemory);
    }

    /** The procfile's process types (empty if none, or after reporting its problems). */
    private Map<String, String> procfile(Table app, Path dir) {
      Path file =
          optional(
              app, "procfile", null, v -> file(dir, v, "a Procfile (\"type: command\" lines)"));
      if (file == null) {
        return Map.of();
      }
      try {
        Procfile.Parsed parsed = Procfile.read(file);
        int line = keyLines.line(app.child("procfile"));
        for (String problem : parsed.problems()) {
          report(line, app.child("procfile"), problem);
        }
        return parsed.problems().isEmpty() ? parsed.types() : Map.of();
      } catch (IOException e) {
        reject(app.child("procfile"), app.get("procfile"), "a readable file; " + reason(e));
        return Map.of();
      }
    }

    /**
     * Process types other than web, in order: the procfile's (one instance each), then those of
     * {@code processes}, which may add types, give a count, or override a procfile's command.
     */
    private List<App.ProcessType> processes(
        Table app, Map<String, String> procfile, List<App.ProcessType> written) {
      Map<String, String> commands = new LinkedHashMap<>();
      Map<String, Integer> counts = new LinkedHashMap<>();
      procfile.forEach(
          (type, command) -> {
            // release: runs once per deploy, not as a process (deploys).
            if (!type.equals("web") && !type.equals("release")) {
              commands.put(type, command);
            }
          });
      String expected = "a table like { worker = \"python worker.py\" }";
      Table table =
          optional(
              app, "processes", null, v -> ConfigLoader.table(app.child("processes"), v, expected));
      if (table != null) {
        for (Map.Entry<String, JsonNode> entry : table.node().properties()) {
          String type = entry.getKey();
          String path = table.child(type);
          if (!Procfile.TYPE.matcher(type).matches()
              || type.equals("web")
              || type.equals("release")) {
            report(
                path,
                "process type "
                    + quote(type)
                    + " (expected: lower-case letters, digits, \"_\" or \"-\"; not web, which is command and"
                    + " instances, nor release)");
            continue;
          }
          JsonNode value = entry.getValue();
          if (value.isTextual()) {
            String command =
                optional(table, type, null, v -> nonBlank(v, "a non-blank command line"));
            if (command != null) {
              commands.put(type, command);
              written.add(new App.ProcessType(type, command, 1));
            }
            continue;
          }
          Table t =
              table(
                  path,
                  value,
                  "a command line, or a table like { command = \"...\", instances = 2 }");
          if (t == null) {
            continue;
          }
          onlyKeys(t, PROCESS_TYPE_KEYS);
          String command =
              commands.containsKey(type) && t.get("command") == null
                  ? commands.get(type)
                  : required(
                      t,
                      "command",
                      "a non-blank command line",
                      v -> nonBlank(v, "a non-blank command line"));
          if (command != null) {
            commands.put(type, command);
          }
          int count = optional(t, "instances", 1, v -> integer(v, 0, MAX_INSTANCES));
          counts.put(type, count);
          written.add(
              new App.ProcessType(
                  type, t.get("command") == null ? "" : command == null ? "" : command, count));
        }
      }
      List<App.ProcessType> result = new ArrayList<>();
      commands.forEach(
          (type, command) ->
              result.add(new App.ProcessType(type, command, counts.getOrDefault(type, 1))));
      return result;
    }

    /** An existing regular file, relative to {@code dir}. */
    private Path file(Path dir, JsonNode value, String expected) throws Rejected {
      String name = nonBlank(value, expected);
      Path file;
      try {
        file = dir.resolve(name).normalize();
      } catch (InvalidPathException e) {
        throw new Rejected(expected + "; " + e.getReason());
      }
      if (!Files.isRegularFile(file)) {
        throw new Rejected(expected + "; " + file + " is not a file");
      }
      return file;
    }

    /** The app's health_check table, or null when it has none (or a problem was reported). */
    private App.HealthCheck healthCheck(Table app) {
      String path = app.child("health_check");
      Table t =
          optional(
              app,
              "health_check",
              null,
              v -> ConfigLoader.table(path, v, "a table like { path = \"/health\" }"));
      if (t == null) {
        return null;
      }
      onlyKeys(t, HEALTH_CHECK_KEYS);
      String expected = "an absolute path like \"/health\"";
      String probe =
          required(
              t,
              "path",
              expected,
              v -> {
                String p = string(v, expected);
                if (!p.startsWith("/") || p.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
                  throw new Rejected(expected);
                }
                return p;
              });
      Duration interval = optional(t, "interval", Duration.ofSeconds(10), ConfigLoader::duration);
      Duration timeout = optional(t, "timeout", Duration.ofSeconds(2), ConfigLoader::duration);
      return probe == null ? null : new App.HealthCheck(probe, interval, timeout);
    }

    /** The env table as strings, or null if a problem has been reported. */
    private Map<String, String> env(Table app) {
      String expected = "a table of NAME = \"value\" (strings, integers or booleans)";
      Table env =
          optional(app, "env", null, v -> ConfigLoader.table(app.child("env"), v, expected));
      Map<String, String> result = new LinkedHashMap<>();
      if (env == null) {
        return app.get("env") == null ? result : null;
      }
      boolean ok = true;
      for (Map.Entry<String, JsonNode> entry : env.node().properties()) {
        String path = env.child(entry.getKey());
        if (!ENV_NAME.matcher(entry.getKey()).matches()) {
          report(
              path,
              "invalid variable name "
                  + quote(entry.getKey())
                  + " (expected: letters, digits and \"_\", not starting with a digit)");
          ok = false;
          continue;
        }
        String value = optional(env, entry.getKey(), null, ConfigLoader::envValue);
        if (value == null) {
          ok = false;
          continue;
        }
        result.put(entry.getKey(), value);
      }
      return ok ? result : null;
    }

    private List<Route> routes(
        Table top, RouteLimits defaultLimits, AccessLogSpec defaultLog, Map<String, App> apps) {
      List<Table> tables =
          optional(top, "routes", List.of(), tables("routes", "[[routes]] tables", 0));
      JsonNode appsNode = top.get("apps");
      // Every name under [apps] counts, even an app with problems, so that a broken app does not
      // also make each of its routes fail.
      TreeSet<String> appNames = new TreeSet<>();
      if (appsNode != null && appsNode.isObject()) {
        appsNode.properties().forEach(e -> appNames.add(e.getKey()));
      }
      List<Route> routes = new ArrayList<>();
      Map<List<String>, Integer> seen = new HashMap<>();
      for (Table t : tables) {
        onlyKeys(t, ROUTE_KEYS);
        int line = keyLines.line(t.path());
        String host = optional(t, "host", "", ConfigLoader::routeHost);
        String path = optional(t, "path", "/", ConfigLoader::routePath);
        Target target = target(t, appNames, apps);
        boolean stripPrefix = optional(t, "strip_prefix", false, ConfigLoader::bool);
        onlyWith(t, APP_ROUTE_KEYS, "app");
        onlyWith(t, STATIC_KEYS, "static");
        RouteLimits limits = limits(t, defaultLimits);
        AccessLogSpec accessLog = accessLog(t, defaultLog);
        if (host == null || path == null || target == null) {
          continue;
        }
        Integer first = seen.putIfAbsent(List.of(host, path), line);
        if (first != null) {
          report(
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
        routes.add(new Route(host, path, target, stripPrefix, limits, accessLog, line));
      }
      return routes;
    }

    /** The route's app or static target, or null if a problem has been reported. */
    private Target target(Table route, TreeSet<String> appNames, Map<String, App> apps) {
      boolean hasApp = route.get("app") != null;
      boolean hasStatic = route.get("static") != null;
      if (hasApp == hasStatic) {
        report(
            route.path(),
            (hasApp ? "both app and static" : "neither app nor static")
                + " (expected: exactly one of app = \"<app name>\" or static = \"<directory>\")");
        return null;
      }
      if (hasStatic) {
        Path root = optional(route, "static", null, this::directory);
        String cacheControl =
            optional(
                route,
                "cache_control",
                "",
                v -> {
                  String expected = "a Cache-Control value like \"public, max-age=3600\"";
                  String value = nonBlank(v, expected);
                  if (value.chars().anyMatch(c -> c < ' ' || c == 0x7f)) {
                    throw new Rejected(expected);
                  }
                  return value;
                });
        boolean gzip = optional(route, "gzip", true, ConfigLoader::bool);
        boolean followSymlinks = optional(route, "follow_symlinks", false, ConfigLoader::bool);
        return root == null ? null : new StaticTarget(root, cacheControl, gzip, followSymlinks);
      }
      String expected =
          appNames.isEmpty()
              ? "the name of an app defined under [apps], but there are none"
              : "one of the apps: " + String.join(", ", appNames);
      String app =
          optional(
              route,
              "app",
              null,
              v -> {
                String appName = string(v, expected);
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
      return app == null ? null : new AppTarget(app);
    }

    /**
     * Unix socket paths are limited by sun_path; checking here fails at load instead of at the
     * first start of the instance with the longest name.
     */
    private void checkSocketPaths(Table top, Path stateDir, Map<String, App> apps) {
      String longest = null;
      for (App app : apps.values()) {
        if (app.external() || !app.hasWeb() || app.socket() != SocketKind.UNIX) {
          continue;
        }
        // As the supervisor names them: app/app-N.G.sock, N at most MAX_INSTANCES (berth scale).
        String socket =
            stateDir
                .resolve("run/" + app.name() + "/" + app.name() + "-" + MAX_INSTANCES + ".1.sock")
                .toString();
        if (longest == null || bytes(socket) > bytes(longest)) {
          longest = socket;
        }
      }
      if (longest == null || bytes(longest) <= MAX_SOCKET_PATH_BYTES) {
        return;
      }
      JsonNode given = top.get("state_dir");
      report(
          "state_dir",
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

    // ---- generic access: every value goes through optional() or required() ----

    /** The value of {@code key} read by {@code reader}; {@code fallback} if absent or rejected. */
    private <T> T optional(Table t, String key, T fallback, Reader<T> reader) {
      JsonNode value = t.get(key);
      if (value == null) {
        return fallback;
      }
      try {
        return reader.read(value);
      } catch (Rejected r) {
        reject(t.child(key), value, r.expected());
        return fallback;
      }
    }

    /** The value of {@code key} read by {@code reader}; null if missing or rejected. */
    private <T> T required(Table t, String key, String expected, Reader<T> reader) {
      if (t.get(key) == null) {
        // The key has no line: point at the table that should have had it.
        report(keyLines.line(t.path()), t.child(key), "missing (expected: " + expected + ")");
        return null;
      }
      return optional(t, key, null, reader);
    }

    /** Reports each of {@code keys} present in a route without {@code kind} ("app" or "static"). */
    private void onlyWith(Table route, List<String> keys, String kind) {
      if (route.get(kind) != null) {
        return;
      }
      for (String key : keys) {
        if (route.get(key) != null) {
          reject(route.child(key), route.get(key), "only on a route with " + kind + " = ...");
        }
      }
    }

    private void onlyKeys(Table t, List<String> allowed) {
      for (Map.Entry<String, JsonNode> entry : t.node().properties()) {
        String key = entry.getKey();
        if (!allowed.contains(key)) {
          report(t.child(key), "unknown key (expected one of: " + String.join(", ", allowed) + ")");
        }
      }
    }

    /**
     * Reads an array of at least {@code min} tables; elements that are not tables are reported on
     * their own and left out, so that the good ones are still checked.
     */
    private Reader<List<Table>> tables(String key, String expected, int min) {
      return v -> {
        if (!v.isArray() || v.size() < min) {
          throw new Rejected(expected);
        }
        List<Table> tables = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
          Table t = table(KeyLines.index(key, i), v.get(i), expected);
          if (t != null) {
            tables.add(t);
          }
        }
        return tables;
      };
    }

    /** {@code value} as a table, or null after reporting that it is not one. */
    private Table table(String path, JsonNode value, String expected) {
      try {
        return ConfigLoader.table(path, value, expected);
      } catch (Rejected r) {
        reject(path, value, r.expected());
        return null;
      }
    }

    private void reject(String path, JsonNode value, String expected) {
      report(path, show(value) + " (expected: " + expected + ")");
    }

    private void report(String path, String what) {
      report(keyLines.line(path), path, what);
    }

    private void report(int line, String path, String what) {
      problems.add(new Problem(line, name + ":" + line + ": " + path + ": " + what));
    }

    // ---- readers that need the config's directory ----

    /** A path relative to the config file's directory, which need not exist yet. */
    private Path relativePath(JsonNode value) throws Rejected {
      return resolve(value, "a directory path");
    }

    private Path directory(JsonNode value) throws Rejected {
      String expected = "an existing directory";
      Path dir = resolve(value, expected);
      if (!Files.exists(dir)) {
        throw new Rejected(expected + "; " + dir + " does not exist");
      }
      if (!Files.isDirectory(dir)) {
        throw new Rejected(expected + "; " + dir + " is not a directory");
      }
      try {
        return dir.toRealPath();
      } catch (IOException e) {
        throw new Rejected(expected + "; " + dir + ": " + reason(e));
      }
    }

    private Path resolve(JsonNode value, String expected) throws Rejected {
      try {
        return baseDir.resolve(nonBlank(value, expected)).normalize();
      } catch (InvalidPathException e) {
        throw new Rejected(expected + "; " + e.getReason());
      }
    }
  }

  // ---- readers of single values ----

  private static Table table(String path, JsonNode value, String expected) throws Rejected {
    if (!value.isObject()) {
      throw new Rejected(expected);
    }
    return new Table(path, value);
  }

  private static String string(JsonNode value, String expected) throws Rejected {
    if (!value.isTextual()) {
      throw new Rejected(expected);
    }
    return value.textValue();
  }

  private static String nonBlank(JsonNode value, String expected) throws Rejected {
    String s = string(value, expected);
    if (s.isBlank()) {
      throw new Rejected(expected);
    }
    return s;
  }

  private static int integer(JsonNode value, int min, int max) throws Rejected {
    String expected = "an integer from " + min + " to " + max;
    if (!value.isIntegralNumber()) {
      throw new Rejected(expected);
    }
    BigInteger n = value.bigIntegerValue();
    if (n.compareTo(BigInteger.valueOf(min)) < 0 || n.compareTo(BigInteger.valueOf(max)) > 0) {
      throw new Rejected(expected);
    }
    return n.intValueExact();
  }

  private static <T> List<T> concat(List<T> a, List<T> b) {
    List<T> all = new ArrayList<>(a);
    all.addAll(b);
    return List.copyOf(all);
  }

  /** Bytes: an integer, or a string with a binary k/m/g suffix as in nginx ("8k", "10m"). */
  private static long size(JsonNode value, long min, long max) throws Rejected {
    String expected =
        min == 0 && max == Long.MAX_VALUE
            ? SIZE_EXPECTED
            : SIZE_EXPECTED + ", from " + min + " to " + max + " bytes";
    long bytes;
    if (value.isIntegralNumber() && value.canConvertToLong()) {
      bytes = value.longValue();
    } else if (value.isTextual()) {
      Matcher m = SIZE.matcher(value.textValue().trim());
      if (!m.matches()) {
        throw new Rejected(expected);
      }
      int shift =
          switch (m.group(2).toLowerCase(java.util.Locale.ROOT)) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            default -> 0;
          };
      long n = Long.parseLong(m.group(1));
      if (n > Long.MAX_VALUE >> shift) {
        // "17179869185g" would wrap around to 1g.
        throw new Rejected(expected);
      }
      bytes = n << shift;
    } else {
      throw new Rejected(expected);
    }
    if (bytes < min || bytes > max) {
      throw new Rejected(expected);
    }
    return bytes;
  }

  private static List<Cidr> cidrs(JsonNode value) throws Rejected {
    String expected = "a list of addresses or CIDR blocks like [\"10.0.0.0/8\", \"127.0.0.1\"]";
    if (!value.isArray()) {
      throw new Rejected(expected);
    }
    List<Cidr> cidrs = new ArrayList<>();
    for (JsonNode element : value) {
      try {
        cidrs.add(Cidr.parse(string(element, expected)));
      } catch (IllegalArgumentException e) {
        throw new Rejected(expected + "; " + show(element) + ": " + e.getMessage());
      }
    }
    return cidrs;
  }

  /** "host:port", "[v6]:port" or "unix:/absolute/path.sock"; at least one. */
  private static List<UpstreamAddress> upstreams(JsonNode value) throws Rejected {
    String expected = "a list of addresses like [\"127.0.0.1:9000\", \"unix:/run/app.sock\"]";
    if (!value.isArray() || value.isEmpty()) {
      throw new Rejected(expected);
    }
    List<UpstreamAddress> addresses = new ArrayList<>();
    for (JsonNode element : value) {
      String text = string(element, expected);
      if (text.startsWith("unix:")) {
        Path socket;
        try {
          socket = Path.of(text.substring("unix:".length()));
        } catch (java.nio.file.InvalidPathException e) {
          throw new Rejected(expected);
        }
        if (!socket.isAbsolute()) {
          throw new Rejected(expected + "; " + quote(text) + " is not an absolute path");
        }
        addresses.add(new UpstreamAddress.Unix(socket.normalize()));
        continue;
      }
      Listener hostPort;
      try {
        hostPort = address(element);
      } catch (Rejected r) {
        throw new Rejected(expected);
      }
      if (hostPort.host().isEmpty()) {
        throw new Rejected(expected + "; " + quote(text) + " has no host");
      }
      addresses.add(new UpstreamAddress.Tcp(hostPort.host(), hostPort.port()));
    }
    return addresses;
  }

  private static App.Balance balance(JsonNode value) throws Rejected {
    String expected = "\"round_robin\" or \"least_conn\"";
    return switch (string(value, expected)) {
      case "round_robin" -> App.Balance.ROUND_ROBIN;
      case "least_conn" -> App.Balance.LEAST_CONN;
      default -> throw new Rejected(expected);
    };
  }

  /** "auto" (0) or a count of event loops. */
  private static int threads(JsonNode value) throws Rejected {
    String expected = "\"auto\" or an integer from 1 to 256";
    if (value.isTextual() && value.textValue().equals("auto")) {
      return 0;
    }
    if (!value.isIntegralNumber()
        || !value.canConvertToInt()
        || value.intValue() < 1
        || value.intValue() > 256) {
      throw new Rejected(expected);
    }
    return value.intValue();
  }

  private static EdgeSettings.IoTransport transport(JsonNode value) throws Rejected {
    String expected = "\"auto\", \"io_uring\", \"epoll\" or \"nio\"";
    String name = string(value, expected);
    for (EdgeSettings.IoTransport t : EdgeSettings.IoTransport.values()) {
      if (t.configName().equals(name)) {
        return t;
      }
    }
    throw new Rejected(expected);
  }

  private static AccessLogSpec.Format logFormat(JsonNode value) throws Rejected {
    String expected = "\"combined\" or \"json\"";
    return switch (string(value, expected)) {
      case "combined" -> AccessLogSpec.Format.COMBINED;
      case "json" -> AccessLogSpec.Format.JSON;
      default -> throw new Rejected(expected);
    };
  }

  /**
   * An account the name service knows; checked here so that a typo fails at load, with its line.
   */
  private static String user(JsonNode value) throws Rejected {
    String expected = "a user name or uid known to this host (getent passwd)";
    String name = nonBlank(value, expected);
    try {
      return UserAccount.lookup(name)
          .map(UserAccount::name)
          .orElseThrow(() -> new Rejected(expected + "; no such user"));
    } catch (IOException e) {
      throw new Rejected(expected + "; " + e.getMessage());
    }
  }

  private static SocketKind socketKind(JsonNode value) throws Rejected {
    String expected = "\"unix\" or \"tcp\"";
    return switch (string(value, expected)) {
      case "unix" -> SocketKind.UNIX;
      case "tcp" -> SocketKind.TCP;
      default -> throw new Rejected(expected);
    };
  }

  private static boolean bool(JsonNode value) throws Rejected {
    if (!value.isBoolean()) {
      throw new Rejected("true or false");
    }
    return value.booleanValue();
  }

  /** A string with a unit ("500ms", "30s", "2m", "1h") or an integer number of seconds. */
  private static Duration duration(JsonNode value) throws Rejected {
    Duration d = value.isIntegralNumber() ? seconds(value.bigIntegerValue()) : withUnit(value);
    if (d.isNegative() || d.isZero() || d.compareTo(MAX_DURATION) > 0) {
      throw new Rejected("a duration more than 0 and at most 24h");
    }
    return d;
  }

  private static Duration seconds(BigInteger n) {
    // Anything past 32 bits is far outside the range; capping avoids Duration overflow.
    return n.bitLength() < 32 ? Duration.ofSeconds(n.longValue()) : TOO_LONG;
  }

  private static Duration withUnit(JsonNode value) throws Rejected {
    Matcher m = DURATION.matcher(string(value, DURATION_EXPECTED));
    if (!m.matches()) {
      throw new Rejected(DURATION_EXPECTED);
    }
    if (m.group(1).length() > 12) {
      return TOO_LONG;
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      default -> Duration.ofHours(n);
    };
  }

  private static String envValue(JsonNode value) throws Rejected {
    if (value.isTextual()) {
      return value.textValue();
    }
    if (value.isIntegralNumber()) {
      return value.bigIntegerValue().toString();
    }
    if (value.isBoolean()) {
      return String.valueOf(value.booleanValue());
    }
    throw new Rejected("a string, an integer or a boolean");
  }

  /** "127.0.0.1:8080", "localhost:8080", ":8080" or "*:8080" (all interfaces), "[::1]:8080". */
  private static Listener address(JsonNode value) throws Rejected {
    String address = string(value, ADDRESS_EXPECTED);
    String host;
    String port;
    if (address.startsWith("[")) {
      int close = address.indexOf("]:");
      if (close < 0) {
        throw new Rejected(ADDRESS_EXPECTED);
      }
      host = address.substring(1, close);
      port = address.substring(close + 2);
      if (!isIpv6(host)) {
        throw new Rejected(ADDRESS_EXPECTED);
      }
    } else {
      int colon = address.lastIndexOf(':');
      if (colon < 0) {
        throw new Rejected(ADDRESS_EXPECTED);
      }
      host = address.substring(0, colon).toLowerCase(Locale.ROOT);
      port = address.substring(colon + 1);
      if (host.equals("*")) {
        host = "";
      }
      if (!host.isEmpty() && !isHostName(host)) {
        throw new Rejected(ADDRESS_EXPECTED);
      }
    }
    if (!PORT.matcher(port).matches()) {
      throw new Rejected(ADDRESS_EXPECTED);
    }
    int p = Integer.parseInt(port);
    if (p < 1 || p > 65535) {
      throw new Rejected(ADDRESS_EXPECTED);
    }
    return new Listener(host, p);
  }

  /** A DNS name, or an IPv4 literal when it is all digits and dots. */
  private static boolean isHostName(String host) {
    if (!DNS_NAME.matcher(host).matches()) {
      return false;
    }
    if (!host.matches("[0-9.]+")) {
      return true;
    }
    String[] parts = host.split("\\.");
    return parts.length == 4
        && Arrays.stream(parts).allMatch(p -> p.length() <= 3 && Integer.parseInt(p) <= 255);
  }

  /** Whether {@code host} (without brackets) is an IPv6 literal; never looks up a name. */
  private static boolean isIpv6(String host) {
    if (!host.contains(":") || !host.matches("[0-9A-Fa-f:.]+")) {
      return false;
    }
    try {
      // With brackets, InetAddress only parses an IPv6 literal and never queries DNS.
      InetAddress.getByName("[" + host + "]");
      return true;
    } catch (UnknownHostException e) {
      return false;
    }
  }

  /** Lower case; "" for any host, "*.example.com" for a wildcard, "[::1]" for IPv6. */
  private static String routeHost(JsonNode value) throws Rejected {
    String host = string(value, HOST_EXPECTED).toLowerCase(Locale.ROOT);
    if (host.equals("*")) {
      return "";
    }
    boolean bracketed = host.startsWith("[") && host.endsWith("]");
    if (bracketed && isIpv6(host.substring(1, host.length() - 1))) {
      return host;
    }
    String name = host.startsWith("*.") ? host.substring(2) : host;
    if (!isHostName(name)) {
      throw new Rejected(HOST_EXPECTED);
    }
    return host;
  }

  /** A path prefix; a trailing "/" is dropped because prefixes match on segment boundaries. */
  private static String routePath(JsonNode value) throws Rejected {
    String path = string(value, PATH_EXPECTED);
    if (!path.startsWith("/")
        || path.contains("//")
        || path.chars().anyMatch(c -> c == '?' || c == '#' || c <= ' ' || c == 0x7f)) {
      throw new Rejected(PATH_EXPECTED);
    }
    for (String segment : path.split("/")) {
      if (segment.equals(".") || segment.equals("..")) {
        throw new Rejected(PATH_EXPECTED);
      }
    }
    return path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
  }

  /** How a value is shown in a message: as the user would have written it in TOML. */
  private static String show(JsonNode value) {
    if (value.isTextual()) {
      return quote(value.textValue());
    }
    if (value.isObject()) {
      return "a table";
    }
    if (value.isArray()) {
      return value.isEmpty() ? "[]" : "an array";
    }
    if (value.isDouble() || value.isFloat()) {
      // Only inf and nan are not BigDecimals; Java would spell them "Infinity" and "NaN".
      double d = value.doubleValue();
      return Double.isNaN(d) ? "nan" : d > 0 ? "inf" : "-inf";
    }
    return value.asText();
  }

  private static String quote(String s) {
    StringBuilder out = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < ' ') {
            out.append(String.format("\\u%04X", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"').toString();
  }
}
