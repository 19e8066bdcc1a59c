package dev.berth.config;

import static dev.berth.config.Types.quote;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** Reads the {@code [apps.NAME]} tables of a config into {@link App}s. */
final class AppReader {

  private static final Pattern APP_NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,39}");
  private static final Set<String> RESERVED_APP_NAMES = Set.of("berth", "access");
  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final JsonNodeFactory TEXT = JsonNodeFactory.instance;

  private static final String STATIC_PATH_EXPECTED =
      "a path below the app's routes like \"/static\": starting with \"/\", not \"/\" itself,"
          + " without \"?\", \"#\", \"//\", spaces, \".\" or \"..\" segments";

  private static final String RELEASE_DIR_EXPECTED =
      "a directory inside the release like \"staticfiles\": relative, without \"..\", not the"
          + " release itself";

  /** A directory of the app's release: relative, inside it, normalized ("./a/" -> "a"). */
  private static final ValueType<Path> RELEASE_DIR =
      ValueType.of(
          "string",
          RELEASE_DIR_EXPECTED,
          value -> {
            String text = Types.nonBlank(value, RELEASE_DIR_EXPECTED);
            if (text.startsWith("/") || text.chars().anyMatch(c -> c < ' ' || c == 0x7f)) {
              throw new Rejected(RELEASE_DIR_EXPECTED);
            }
            Path dir;
            try {
              dir = Path.of(text).normalize();
            } catch (InvalidPathException e) {
              throw new Rejected(RELEASE_DIR_EXPECTED);
            }
            for (Path segment : dir) {
              if (segment.toString().equals("..")) {
                throw new Rejected(RELEASE_DIR_EXPECTED);
              }
            }
            if (dir.toString().isEmpty()) {
              throw new Rejected(RELEASE_DIR_EXPECTED);
            }
            return dir;
          });

  private final TableReader reader;

  AppReader(TableReader reader) {
    this.reader = reader;
  }

  /** The apps by name, in file order; an app with problems is reported and left out. */
  Map<String, App> apps(Table top) {
    Table apps = reader.table(top, TopKeys.APPS);
    Map<String, App> result = new LinkedHashMap<>();
    if (apps == null) {
      return result;
    }
    for (Map.Entry<String, JsonNode> entry : apps.node().properties()) {
      String appName = entry.getKey();
      String path = apps.child(appName);
      if (!APP_NAME.matcher(appName).matches()) {
        reader.report(
            path,
            "invalid app name "
                + quote(appName)
                + " (expected: 1 to 40 lower-case letters, digits, \"_\" or \"-\","
                + " starting with a letter or digit)");
      } else if (RESERVED_APP_NAMES.contains(appName)) {
        reader.report(
            path,
            "app name "
                + quote(appName)
                + " is reserved (berth's own logs are berth.log and access.log)");
      }
      Table t = reader.table(path, entry.getValue(), "a table like [" + path + "]");
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
    reader.onlyKeys(t, Section.APP);
    List<UpstreamAddress> upstreams = reader.get(t, AppKeys.UPSTREAMS);
    boolean external = t.has(AppKeys.UPSTREAMS);
    if (external) {
      for (Key<?> key : AppKeys.ALL) {
        if (key.processOnly() && t.has(key)) {
          reader.reject(
              t.child(key.name()),
              t.get(key.name()),
              "no " + key.name() + " for an app given by its upstreams; berth does not run it");
        }
      }
    }
    Path dir = reader.get(t, AppKeys.DIR, reader.baseDir());
    Map<String, String> procfile = dir == null ? Map.of() : procfile(t, dir);
    List<App.ProcessType> processTable = new ArrayList<>();
    List<App.ProcessType> processes =
        dir == null ? List.of() : processes(t, procfile, processTable);
    String command;
    if (external) {
      command = "";
    } else if (t.has(AppKeys.COMMAND) || (!t.has(AppKeys.PROCFILE) && !t.has(AppKeys.PROCESSES))) {
      command =
          reader.require(t, AppKeys.COMMAND, "a non-blank command line, a procfile, or processes");
      if (procfile.containsKey("web") && command != null) {
        reader.reject(
            t.child("command"),
            t.get("command"),
            "no command when the procfile has a web: line; one of them");
      }
    } else {
      // From the procfile, or none: a worker-only app (problems in either are reported there).
      command = procfile.getOrDefault("web", "");
    }
    Path envFile = dir == null ? null : reader.get(t, AppKeys.ENV_FILE, null, dir);
    int instances = reader.get(t, AppKeys.INSTANCES);
    Map<String, String> env = env(t);
    App.SocketKind socket = reader.get(t, AppKeys.SOCKET);
    Duration startTimeout = reader.get(t, AppKeys.START_TIMEOUT);
    Duration stopTimeout = reader.get(t, AppKeys.STOP_TIMEOUT);
    App.Balance balance = reader.get(t, AppKeys.BALANCE);
    App.HealthCheck healthCheck = healthCheck(t);
    int keepalive = reader.get(t, AppKeys.KEEPALIVE);
    Duration keepaliveTimeout = reader.get(t, AppKeys.KEEPALIVE_TIMEOUT);
    int retries = reader.get(t, AppKeys.RETRIES);
    int maxRestarts = reader.get(t, AppKeys.MAX_RESTARTS);
    Duration restartWindow = reader.get(t, AppKeys.RESTART_WINDOW);
    Duration drainTimeout = reader.get(t, AppKeys.DRAIN_TIMEOUT);
    App.Recycle recycle = recycle(t);
    String user = reader.get(t, AppKeys.USER);
    App.Deploy deploy = deploy(t, processTable);
    Map<String, Path> statics = statics(t);
    if (dir == null || command == null || env == null || statics == null) {
      return null;
    }
    return new App(
        appName,
        new App.Run(
            dir,
            command,
            instances,
            env,
            socket,
            startTimeout,
            stopTimeout,
            new App.Restarts(maxRestarts, restartWindow),
            drainTimeout,
            processes,
            envFile,
            recycle,
            user,
            reader.get(t, AppKeys.LOG_RATE_LIMIT)),
        new App.Backend(balance, healthCheck, keepalive, keepaliveTimeout, retries, upstreams),
        deploy,
        statics);
  }

  /**
   * build, release, keep_releases and the phase timeouts, with what the config said about commands.
   */
  private App.Deploy deploy(Table app, List<App.ProcessType> processTable) {
    JsonNode procfile = app.get(AppKeys.PROCFILE.name());
    return new App.Deploy(
        reader.get(app, AppKeys.BUILD),
        reader.get(app, AppKeys.RELEASE),
        reader.get(app, AppKeys.KEEP_RELEASES),
        reader.get(app, AppKeys.BUILD_TIMEOUT),
        reader.get(app, AppKeys.RELEASE_TIMEOUT),
        procfile != null && procfile.isTextual() ? procfile.asText() : null,
        app.has(AppKeys.COMMAND),
        processTable);
  }

  /** max_requests (+ jitter) and max_memory; {@link App.Recycle#NONE} when neither is set. */
  private App.Recycle recycle(Table app) {
    Integer maxRequests = reader.get(app, AppKeys.MAX_REQUESTS);
    int jitter = reader.get(app, AppKeys.MAX_REQUESTS_JITTER);
    if (app.has(AppKeys.MAX_REQUESTS_JITTER) && !app.has(AppKeys.MAX_REQUESTS)) {
      reader.reject(
          app.child(AppKeys.MAX_REQUESTS_JITTER.name()),
          app.get(AppKeys.MAX_REQUESTS_JITTER.name()),
          "only with max_requests");
    }
    Long maxMemory = reader.get(app, AppKeys.MAX_MEMORY);
    return maxRequests == null && maxMemory == null
        ? App.Recycle.NONE
        : new App.Recycle(maxRequests, maxRequests == null ? 0 : jitter, maxMemory);
  }

  /** The procfile's process types (empty if none, or after reporting its problems). */
  private Map<String, String> procfile(Table app, Path dir) {
    Path file = reader.get(app, AppKeys.PROCFILE, null, dir);
    if (file == null) {
      return Map.of();
    }
    String path = app.child(AppKeys.PROCFILE.name());
    try {
      Procfile.Parsed parsed = Procfile.read(file);
      int line = reader.line(path);
      for (String problem : parsed.problems()) {
        reader.report(line, path, problem);
      }
      return parsed.problems().isEmpty() ? parsed.types() : Map.of();
    } catch (IOException e) {
      reader.reject(
          path, app.get(AppKeys.PROCFILE.name()), "a readable file; " + ConfigLoader.reason(e));
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
    procfile.forEach(
        (type, command) -> {
          // release: runs once per deploy, not as a process (deploys).
          if (!type.equals("web") && !type.equals("release")) {
            commands.put(type, command);
          }
        });
    Table table = reader.table(app, AppKeys.PROCESSES);
    if (table != null) {
      for (Map.Entry<String, JsonNode> entry : table.node().properties()) {
        String type = entry.getKey();
        String path = table.child(type);
        if (!Procfile.TYPE.matcher(type).matches()
            || type.equals("web")
            || type.equals("release")) {
          reader.report(
              path,
              "process type "
                  + quote(type)
                  + " (expected: lower-case letters, digits, \"_\" or \"-\"; not web, which is"
                  + " command and instances, nor release)");
          continue;
        }
        JsonNode value = entry.getValue();
        if (value.isTextual()) {
          String command = reader.read(table, type, Types.COMMAND, null);
          if (command != null) {
            commands.put(type, command);
            written.add(new App.ProcessType(type, command, 1));
          }
          continue;
        }
        Table t =
            reader.table(
                path,
                value,
                "a command line, or a table like { command = \"...\", instances = 2 }");
        if (t == null) {
          continue;
        }
        reader.onlyKeys(t, Section.PROCESS_TYPE);
        boolean given = t.has(ProcessKeys.COMMAND);
        String command =
            commands.containsKey(type) && !given
                ? commands.get(type)
                : reader.require(t, ProcessKeys.COMMAND);
        if (command != null) {
          commands.put(type, command);
        }
        int count = reader.get(t, ProcessKeys.INSTANCES);
        App.ProcessType own =
            new App.ProcessType(
                type,
                !given || command == null ? "" : command,
                count,
                reader.get(t, ProcessKeys.STOP_TIMEOUT),
                reader.get(t, ProcessKeys.ROLLOUT));
        written.add(own);
      }
    }
    return App.ProcessType.merged(commands, written);
  }

  /** The app's health_check table, or null when it has none (or a problem was reported). */
  private App.HealthCheck healthCheck(Table app) {
    Table t = reader.table(app, AppKeys.HEALTH_CHECK);
    if (t == null) {
      return null;
    }
    reader.onlyKeys(t, Section.HEALTH_CHECK);
    String probe = reader.require(t, AppKeys.HEALTH_PATH);
    String host = reader.get(t, AppKeys.HEALTH_HOST);
    Duration interval = reader.get(t, AppKeys.HEALTH_INTERVAL);
    Duration timeout = reader.get(t, AppKeys.HEALTH_TIMEOUT);
    return probe == null ? null : new App.HealthCheck(probe, host, interval, timeout);
  }

  /**
   * The static table: URL paths under the app's routes to directories of its release; null if a
   * problem has been reported.
   */
  private Map<String, Path> statics(Table app) {
    Table table = reader.table(app, AppKeys.STATIC);
    Map<String, Path> result = new LinkedHashMap<>();
    if (table == null) {
      return app.has(AppKeys.STATIC) ? null : result;
    }
    boolean ok = true;
    for (Map.Entry<String, JsonNode> entry : table.node().properties()) {
      String path = table.child(entry.getKey());
      String urlPath;
      try {
        urlPath = Addresses.ROUTE_PATH.read(TEXT.textNode(entry.getKey()), null);
      } catch (Rejected r) {
        urlPath = null;
      }
      if (urlPath == null || urlPath.equals("/")) {
        reader.report(
            path,
            "URL path " + quote(entry.getKey()) + " (expected: " + STATIC_PATH_EXPECTED + ")");
        ok = false;
        continue;
      }
      Path dir = reader.read(table, entry.getKey(), RELEASE_DIR, null);
      if (dir == null) {
        ok = false;
        continue;
      }
      if (result.putIfAbsent(urlPath, dir) != null) {
        reader.report(path, quote(urlPath) + " is given twice (expected: one directory per path)");
        ok = false;
      }
    }
    return ok ? result : null;
  }

  /** The env table as strings, or null if a problem has been reported. */
  private Map<String, String> env(Table app) {
    Table env = reader.table(app, AppKeys.ENV);
    Map<String, String> result = new LinkedHashMap<>();
    if (env == null) {
      return app.has(AppKeys.ENV) ? null : result;
    }
    boolean ok = true;
    for (Map.Entry<String, JsonNode> entry : env.node().properties()) {
      String path = env.child(entry.getKey());
      if (!ENV_NAME.matcher(entry.getKey()).matches()) {
        reader.report(
            path,
            "invalid variable name "
                + quote(entry.getKey())
                + " (expected: letters, digits and \"_\", not starting with a digit)");
        ok = false;
        continue;
      }
      String value = reader.read(env, entry.getKey(), AppKeys.ENV_VALUE, null);
      if (value == null) {
        ok = false;
        continue;
      }
      result.put(entry.getKey(), value);
    }
    return ok ? result : null;
  }
}
