package dev.berth.daemon;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.config.Config;
import dev.berth.control.ClientGoneException;
import dev.berth.control.CommandRegistry;
import dev.berth.control.ControlException;
import dev.berth.control.ControlHandler;
import dev.berth.control.Replies;
import dev.berth.control.Request;
import dev.berth.deploy.ConfigReleases;
import dev.berth.deploy.Deployer;
import dev.berth.deploy.FolderChanges;
import dev.berth.deploy.Releases;
import dev.berth.edge.Maintenance;
import dev.berth.logs.LogLine;
import dev.berth.logs.LogStream;
import dev.berth.logs.Logs;
import dev.berth.supervisor.Supervisor;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The daemon's control commands (docs/control-protocol.md): what {@code berth status}, {@code
 * logs}, {@code start}, {@code stop} and {@code restart} ask for, answered from the supervisor and
 * logs.
 */
final class ControlCommands {

  private static final int MAX_TAIL = 10_000;
  private static final int MAX_INSTANCES = 64;
  private static final java.util.regex.Pattern ENV_NAME =
      java.util.regex.Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  /** An app is busy with another deploy, restart, scale...: try again when it is done. */
  static final String BUSY = "busy";

  private final Supervisor supervisor;
  private final Logs logs;
  private final Deployer deployer;
  private final CertificateCommands certificates;
  private final Supplier<Config> running;
  private final Maintenance maintenance;

  /**
   * @param running the config berth runs now (as reloads change it): its routes and apps for status
   * @param maintenance the apps in maintenance, for status
   */
  ControlCommands(
      Supervisor supervisor,
      Logs logs,
      Deployer deployer,
      CertificateCommands certificates,
      Supplier<Config> running,
      Maintenance maintenance) {
    this.supervisor = requireNonNull(supervisor, "supervisor");
    this.logs = requireNonNull(logs, "logs");
    this.deployer = requireNonNull(deployer, "deployer");
    this.certificates = requireNonNull(certificates, "certificates");
    this.running = requireNonNull(running, "running");
    this.maintenance = requireNonNull(maintenance, "maintenance");
  }

  void registerIn(CommandRegistry registry) {
    registry
        .register("status", (request, replies) -> replies.result(status()))
        .register("logs", this::logs)
        .register("stop", exclusive("stop", this::stop))
        .register("start", exclusive("start", this::start))
        .register("restart", exclusive("restart", this::restart))
        .register("scale", exclusive("scale", this::scale))
        .register(
            "env",
            (request, replies) -> {
              String app = app(request);
              replies.result(Map.of("app", app, "env", supervisor.environment(app)));
            })
        .register("env_change", exclusive("env change", this::changeEnv))
        .register("deploy", this::deploy)
        .register("rollback", this::rollback)
        .register("releases", this::releases);
    new OneOffCommands(supervisor, deployer).registerIn(registry);
    certificates.registerIn(registry);
  }

  /**
   * The command, once no deploy, restart or other such operation of its app runs; fails at once
   * with {@link #BUSY} otherwise. Deploys take the same mark inside the deployer.
   */
  private ControlHandler exclusive(String what, ControlHandler command) {
    return (request, replies) -> {
      String app = app(request);
      Supervisor.Exclusive exclusive;
      try {
        exclusive = supervisor.exclusive(app, what);
      } catch (IllegalStateException e) {
        throw new ControlException(BUSY, e.getMessage());
      }
      try (exclusive) {
        command.handle(request, replies);
      }
    };
  }

  /**
   * args: app, source (absolute path or git URL; default the app's dir), ref, revision,
   * source_label.
   */
  private void deploy(Request request, Replies replies) throws Exception {
    // Not app(request): berth up may have held the app back (its release phase failed), and a
    // deploy of the fixed code is what starts it.
    String app = request.requireText("app");
    if (!supervisor.runs(app) && !deployer.defines(app)) {
      throw new ControlException(
          ControlException.NOT_FOUND, "no app \"" + app + "\" run by this berth");
    }
    Deployer.Request what =
        new Deployer.Request(
            request.text("source").orElse(null),
            request.text("ref").orElse(null),
            request.text("revision").orElse(null),
            request.text("source_label").orElse(null));
    Deployer.Result result;
    try {
      result = deployer.deploy(app, what, progress(replies));
    } catch (IllegalArgumentException e) {
      throw new ControlException(ControlException.BAD_REQUEST, "deploy: " + e.getMessage());
    } catch (IllegalStateException e) {
      throw new ControlException(BUSY, e.getMessage());
    }
    if (!result.ok()) {
      throw new ControlException(ControlException.FAILED, result.failure());
    }
    replies.result(releaseResult(app, result.release()));
  }

  /** args: app, release (optional: the one before the current one). */
  private void rollback(Request request, Replies replies) throws Exception {
    String app = app(request);
    int release = request.integer("release", 0);
    if (request.args().has("release") && release < 1) {
      throw new ControlException(
          ControlException.BAD_REQUEST, "rollback: release must be a release number (1 or more)");
    }
    Deployer.Result result;
    try {
      result =
          deployer.rollback(
              app, release > 0 ? OptionalInt.of(release) : OptionalInt.empty(), progress(replies));
    } catch (IllegalStateException e) {
      throw new ControlException(BUSY, e.getMessage());
    }
    if (!result.ok()) {
      throw new ControlException(ControlException.FAILED, result.failure());
    }
    replies.result(releaseResult(app, result.release()));
  }

  private Map<String, Object> releaseResult(String app, int release) {
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("app", app);
    result.put("release", release);
    deployer
        .releases(app)
        .find(release)
        .ifPresent(
            r -> {
              result.put("revision", r.revision());
              result.put("kind", r.fields().get("kind"));
              result.put("changes", r.changes());
            });
    return result;
  }

  /** args: app. Every release on disk, oldest first, and which one is current. */
  private void releases(Request request, Replies replies) throws Exception {
    String app = app(request);
    Releases releases = deployer.releases(app);
    OptionalInt current = releases.current();
    List<Map<String, Object>> rows = new ArrayList<>();
    for (Releases.Release r : releases.list()) {
      Map<String, Object> row = r.fields();
      row.put("current", current.isPresent() && current.getAsInt() == r.number());
      rows.add(row);
    }
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("app", app);
    result.put("current", current.isPresent() ? current.getAsInt() : null);
    result.put("releases", rows);
    replies.result(result);
  }

  /** A deploy's steps as progress events, and its build and release output as output events. */
  private static Deployer.Progress progress(Replies replies) {
    return new Deployer.Progress() {
      @Override
      public void step(String line) {
        progress(replies, line);
      }

      @Override
      public void output(String source, String line) {
        try {
          Map<String, Object> fields = new LinkedHashMap<>();
          fields.put("source", source);
          fields.put("text", line);
          replies.event("output", fields);
        } catch (ClientGoneException e) {
          // The deploy goes on to its end.
        }
      }
    };
  }

  /** args: app, counts {type: n}. */
  private void scale(Request request, Replies replies) throws Exception {
    String app = app(request);
    JsonNode counts = request.args().path("counts");
    if (!counts.isObject() || counts.isEmpty()) {
      throw new ControlException(
          ControlException.BAD_REQUEST, "scale: counts must be an object like {\"web\": 4}");
    }
    // All checked before any is applied: one bad count changes nothing.
    for (Map.Entry<String, JsonNode> entry : counts.properties()) {
      int n = entry.getValue().asInt(-1);
      if (!entry.getValue().isInt() || n < 0 || n > MAX_INSTANCES) {
        throw new ControlException(
            ControlException.BAD_REQUEST,
            "scale: "
                + entry.getKey()
                + "="
                + entry.getValue()
                + " (expected: 0 to "
                + MAX_INSTANCES
                + ")");
      }
      try {
        supervisor.checkProcessType(app, entry.getKey());
      } catch (IllegalArgumentException e) {
        throw new ControlException(ControlException.BAD_REQUEST, e.getMessage());
      }
    }
    List<String> failures = new ArrayList<>();
    Map<String, Integer> done = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> entry : counts.properties()) {
      int n = entry.getValue().asInt();
      failures.addAll(supervisor.scale(app, entry.getKey(), n, line -> progress(replies, line)));
      done.put(entry.getKey(), n);
      progress(replies, app + ": " + entry.getKey() + "=" + n);
    }
    if (!failures.isEmpty()) {
      throw new ControlException(ControlException.FAILED, String.join("\n", failures));
    }
    replies.result(Map.of("app", app, "counts", done));
  }

  /** args: app, set {NAME: value}, unset [NAME]; stored, then a rolling restart applies them. */
  private void changeEnv(Request request, Replies replies) throws Exception {
    String app = app(request);
    Map<String, String> set = new LinkedHashMap<>();
    request
        .args()
        .path("set")
        .properties()
        .forEach(e -> set.put(e.getKey(), e.getValue().asText()));
    List<String> unset = new ArrayList<>();
    request.args().path("unset").forEach(n -> unset.add(n.asText()));
    for (String name : set.keySet()) {
      if (!ENV_NAME.matcher(name).matches()) {
        throw new ControlException(
            ControlException.BAD_REQUEST, "env: invalid variable name \"" + name + "\"");
      }
    }
    Map<String, String> before = supervisor.storedEnvironment(app);
    Map<String, String> after = new java.util.TreeMap<>(before);
    after.putAll(set);
    unset.forEach(after::remove);
    String changes = ConfigReleases.changes(before, after);
    if (changes.isEmpty()) {
      // Nothing to apply: no release, no restart.
      progress(replies, app + ": environment unchanged (no new release, no restart)");
      Map<String, Object> result = new LinkedHashMap<>();
      result.put("app", app);
      result.put("release", null);
      result.put("changes", null);
      replies.result(result);
      return;
    }
    supervisor.changeEnvironment(app, set, unset);
    Double releaseSeconds = null;
    if (!request.args().path("skip_release").asBoolean(false)) {
      // As Heroku's config:set with a release phase: a new DATABASE_URL is migrated before the
      // instances that use it start.
      long begun = System.nanoTime();
      Optional<String> failure = deployer.releasePhase(app, progress(replies));
      releaseSeconds = (System.nanoTime() - begun) / 1e9;
      if (failure.isPresent()) {
        supervisor.restoreEnvironment(app, before);
        throw new ControlException(
            ControlException.FAILED,
            "env of "
                + app
                + " not changed: "
                + failure.get()
                + " (the running version keeps serving; --skip-release applies it without)");
      }
    }
    Optional<ConfigReleases.Made> made;
    try {
      made = deployer.configRelease(app, after, changes, releaseSeconds);
    } catch (java.io.IOException | RuntimeException e) {
      supervisor.restoreEnvironment(app, before);
      throw new ControlException(
          ControlException.FAILED,
          "env of " + app + " not changed: cannot record its release: " + e.getMessage());
    }
    progress(
        replies,
        app
            + ": "
            + made.map(m -> "release " + m.number() + ": ").orElse("")
            + changes
            + made.filter(m -> !m.pruned().isEmpty())
                .map(m -> " (removed old " + joined(m.pruned()) + ")")
                .orElse(""));
    progress(replies, app + ": environment stored; rolling restart to apply it");
    rollingRestart(app, replies);
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("app", app);
    result.put("release", made.map(ConfigReleases.Made::number).orElse(null));
    result.put("changes", changes);
    replies.result(result);
  }

  private static String joined(List<Integer> numbers) {
    return String.join(", ", numbers.stream().map(String::valueOf).toList());
  }

  private Map<String, Object> status() {
    List<Map<String, Object>> instances = new ArrayList<>();
    Instant now = Instant.now();
    for (Supervisor.InstanceStatus s : supervisor.status()) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("app", s.app());
      row.put("type", s.type());
      row.put("instance", s.instance());
      row.put("tag", s.tag());
      row.put("state", s.state());
      row.put("release", StatusRows.instanceRelease(deployer.releases(s.app()), s.dir()));
      row.put("pid", s.pid());
      row.put("since", s.since().toString());
      row.put("seconds", Duration.between(s.since(), now).toSeconds());
      row.put("restarts", s.restarts());
      row.put("recycled", s.recycled());
      row.put("rss_bytes", s.rssBytes());
      row.put("endpoint", s.endpoint());
      row.put("websockets", s.tunnels());
      if (s.lastProblem() != null) {
        row.put("last_problem", s.lastProblem());
      }
      instances.add(row);
    }
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("pid", ProcessHandle.current().pid());
    result.put("instances", instances);
    result.put("log_lines_dropped", logs.dropped());
    result.put("certificates", certificates.rows());
    Config config = running.get();
    result.put("apps", StatusRows.apps(config, deployer, maintenance));
    result.put("routes", StatusRows.routes(config.routes()));
    return result;
  }

  /**
   * args: app, n (last lines, default 100), follow (bool), type (e.g. "worker"), instance ("2",
   * "worker.2").
   */
  private void logs(Request request, Replies replies) throws Exception {
    String app = app(request);
    int n = Math.min(request.integer("n", 100), MAX_TAIL);
    if (n < 0) {
      throw new ControlException(ControlException.BAD_REQUEST, "logs: n must be >= 0");
    }
    Predicate<LogLine> filter = sourceFilter(app, request.text("type"), request.text("instance"));
    LogStream stream = logs.stream(app);
    if (!request.flag("follow", false)) {
      for (LogLine line : stream.tail(n, filter)) {
        replies.event("line", fields(line));
      }
      replies.result(Map.of("app", app));
      return;
    }
    try (LogStream.Following following =
        stream.follow(
            n,
            filter,
            line -> {
              try {
                replies.event("line", fields(line));
              } catch (ClientGoneException e) {
                throw new IllegalStateException("client gone", e);
              }
            })) {
      replies.awaitClosed();
    }
  }

  /** args: app, type (optional: all types). Each instance's end is a progress line. */
  private void stop(Request request, Replies replies) throws Exception {
    String app = app(request);
    String type = type(request, app);
    supervisor.stopApp(app, type, step -> progress(replies, step));
    replies.result(appAndType(app, type));
  }

  /** args: app, type (optional: all types). Fails naming each instance that did not start. */
  private void start(Request request, Replies replies) throws Exception {
    String app = app(request);
    String type = type(request, app);
    List<String> failures = supervisor.startApp(app, type, step -> progress(replies, step));
    if (!failures.isEmpty()) {
      throw new ControlException(ControlException.FAILED, String.join("\n", failures));
    }
    replies.result(appAndType(app, type));
  }

  /**
   * args: app, type (optional: all types). The result names the release that runs again, and what
   * the app's folder has that it does not (null when nothing): someone who edited the folder must
   * hear that it is not live.
   */
  private void restart(Request request, Replies replies) throws Exception {
    String app = app(request);
    String type = type(request, app);
    Optional<String> failure = supervisor.restartApp(app, type, step -> progress(replies, step));
    if (failure.isPresent()) {
      throw new ControlException(ControlException.FAILED, failure.get());
    }
    Map<String, Object> result = appAndType(app, type);
    OptionalInt release = deployer.releases(app).current();
    result.put("release", release.isPresent() ? release.getAsInt() : null);
    result.put("undeployed", deployer.folderChanges(app).map(FolderChanges::fields).orElse(null));
    replies.result(result);
  }

  private void rollingRestart(String app, Replies replies) throws ControlException {
    Optional<String> failure = supervisor.restartApp(app, step -> progress(replies, step));
    if (failure.isPresent()) {
      throw new ControlException(ControlException.FAILED, failure.get());
    }
  }

  /**
   * Lines of one process type and/or instance. Sources are tagged app.N for web and app.type.N for
   * other types; berth's own lines about the app are kept with every filter.
   */
  private static Predicate<LogLine> sourceFilter(
      String app, Optional<String> type, Optional<String> instance) {
    String web = "web";
    String wantedType = type.orElse(null);
    String number = null;
    if (instance.isPresent()) {
      String i = instance.get();
      int dot = i.lastIndexOf('.');
      number = i.substring(dot + 1);
      if (dot > 0) {
        String prefix = i.substring(0, dot);
        wantedType =
            prefix.equals(app)
                ? web
                : prefix.startsWith(app + ".") ? prefix.substring(app.length() + 1) : prefix;
      } else if (wantedType == null) {
        // A bare number is a web instance ("2" is web.2), unless --type names another type.
        wantedType = web;
      }
    }
    if (wantedType == null && number == null) {
      return line -> true;
    }
    String t = wantedType;
    String n = number;
    return line -> {
      String source = line.source();
      if (!source.startsWith(app + ".")) {
        return true;
      }
      String rest = source.substring(app.length() + 1);
      int dot = rest.lastIndexOf('.');
      String lineType = dot < 0 ? web : rest.substring(0, dot);
      String lineNumber = rest.substring(dot + 1);
      return (t == null || t.equals(lineType)) && (n == null || n.equals(lineNumber));
    };
  }

  /** A progress line for the client; a client that stopped watching does not stop the work. */
  private static void progress(Replies replies, String text) {
    try {
      replies.event("progress", Map.of("text", text));
    } catch (ClientGoneException e) {
      // The command goes on to its end.
    }
  }

  private static Map<String, Object> fields(LogLine line) {
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("time", line.time().toString());
    fields.put("source", line.source());
    fields.put("text", line.text());
    return fields;
  }

  /**
   * The optional {@code type} argument of start, stop and restart: null for every type, else one
   * the app has (a bad_request naming those it has, before anything is done).
   */
  private String type(Request request, String app) throws ControlException {
    Optional<String> type = request.text("type");
    if (type.isEmpty()) {
      return null;
    }
    try {
      supervisor.checkProcessType(app, type.get());
    } catch (IllegalArgumentException e) {
      throw new ControlException(ControlException.BAD_REQUEST, e.getMessage());
    }
    return type.get();
  }

  private static Map<String, Object> appAndType(String app, String type) {
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("app", app);
    result.put("type", type);
    return result;
  }

  private String app(Request request) throws ControlException {
    String app = request.requireText("app");
    if (!supervisor.runs(app)) {
      throw new ControlException(
          ControlException.NOT_FOUND, "no app \"" + app + "\" run by this berth");
    }
    return app;
  }
}
