package dev.berth.config;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * An app: one command run as N instances, each on its own socket that berth allocates; or, with
 * upstreams, addresses of an app berth does not run.
 *
 * @param name the app's name (the key under [apps])
 * @param run how its processes run (meaningless for an app given by its upstreams)
 * @param backend how the edge reaches its instances
 * @param deploy how deploys build and release it, and what the config said about its commands (so
 *     that a release's own Procfile can be read with the same rules)
 * @param statics directories of its release that the edge serves as files, by URL path under each
 *     of the app's routes ("/static" -> "staticfiles"): the path starts with "/" and is not "/",
 *     the directory is relative to the release, normalized, without ".."; empty for none
 */
public record App(String name, Run run, Backend backend, Deploy deploy, Map<String, Path> statics) {

  /** Lines per second kept from each instance's output unless log_rate_limit says otherwise. */
  public static final int DEFAULT_LOG_RATE_LIMIT = 10_000;

  public App {
    requireNonNull(name, "name");
    requireNonNull(run, "run");
    requireNonNull(backend, "backend");
    requireNonNull(deploy, "deploy");
    statics = Map.copyOf(statics);
  }

  /**
   * How an app's processes run.
   *
   * @param dir working directory of its processes (absolute)
   * @param command shell command line, run as {@code sh -c "exec <command>"}; "" for an app that
   *     berth does not run, or one with workers only
   * @param instances how many web instances to run, >= 1
   * @param env extra environment for its processes
   * @param socket how instances listen: a unix socket (default) or a TCP port on 127.0.0.1
   * @param startTimeout how long an instance may take to accept connections
   * @param stopTimeout how long after SIGTERM before SIGKILL
   * @param restarts how often an instance that exits unexpectedly is started again
   * @param drainTimeout how long an instance taken out of rotation (restart, recycling) may finish
   *     its in-flight requests before it is stopped
   * @param processes process types other than web (workers...), which get no endpoint or traffic
   * @param envFile a file of NAME=value lines read at each start (the app's .env), or null for
   *     {@code dir/.env} if it exists then
   * @param recycle when a running instance is replaced by a fresh one ({@link Recycle#NONE}: never)
   * @param user who its processes run as when berth is root (null: nobody); a berth that is not
   *     root runs them as itself, and then this may only name that same user
   * @param logRateLimit lines of output per second kept from each instance; 0 for no limit
   */
  public record Run(
      Path dir,
      String command,
      int instances,
      Map<String, String> env,
      SocketKind socket,
      Duration startTimeout,
      Duration stopTimeout,
      Restarts restarts,
      Duration drainTimeout,
      List<ProcessType> processes,
      Path envFile,
      Recycle recycle,
      String user,
      int logRateLimit) {

    public Run {
      requireNonNull(dir, "dir");
      requireNonNull(command, "command");
      env = Map.copyOf(env);
      requireNonNull(socket, "socket");
      requireNonNull(startTimeout, "startTimeout");
      requireNonNull(stopTimeout, "stopTimeout");
      requireNonNull(restarts, "restarts");
      requireNonNull(drainTimeout, "drainTimeout");
      processes = List.copyOf(processes);
      requireNonNull(recycle, "recycle");
      if (logRateLimit < 0) {
        throw new IllegalArgumentException("logRateLimit < 0");
      }
    }
  }

  /**
   * How the edge reaches an app's instances.
   *
   * @param balance how requests are spread over instances
   * @param healthCheck an HTTP path probed on each instance, or null for none
   * @param keepalive idle upstream connections kept per instance (0: a new connection per request)
   * @param keepaliveTimeout how long an idle upstream connection is kept
   * @param retries how many times a request that was fully sent and then lost its instance (closed
   *     or reset before any response byte) is retried on another instance; connect failures and
   *     refused connections are retried on every instance regardless
   * @param upstreams for an app berth does not run: the addresses it already listens on; empty
   *     otherwise
   * @param mount where the routes put the app, for berth's own requests to it (readiness, health
   *     checks): {@link Mount#ROOT} until the routes are read
   */
  public record Backend(
      Balance balance,
      HealthCheck healthCheck,
      int keepalive,
      Duration keepaliveTimeout,
      int retries,
      List<UpstreamAddress> upstreams,
      Mount mount) {

    public Backend {
      requireNonNull(balance, "balance");
      requireNonNull(keepaliveTimeout, "keepaliveTimeout");
      if (retries < 0) {
        throw new IllegalArgumentException("retries < 0");
      }
      upstreams = List.copyOf(upstreams);
      requireNonNull(mount, "mount");
    }

    /** Mounted at the root of any host, as before the routes are read. */
    public Backend(
        Balance balance,
        HealthCheck healthCheck,
        int keepalive,
        Duration keepaliveTimeout,
        int retries,
        List<UpstreamAddress> upstreams) {
      this(balance, healthCheck, keepalive, keepaliveTimeout, retries, upstreams, Mount.ROOT);
    }
  }

  /**
   * Where the routes put an app, as a request routed to it sees it: the host of its first route
   * that names an exact host, and the path prefix of its first route.
   *
   * @param host an exact host ("example.com"), or null when no route to the app names one
   * @param prefix the first route's path prefix ("/blog"), or "" for "/" (and for no route)
   * @param stripPrefix whether that route strips the prefix instead of passing it as SCRIPT_NAME
   */
  public record Mount(String host, String prefix, boolean stripPrefix) {
    /** No route names a host or a prefix. */
    public static final Mount ROOT = new Mount(null, "", false);

    public Mount {
      requireNonNull(prefix, "prefix");
    }

    /** Where {@code routes} (in file order) put app {@code name}. */
    public static Mount of(String name, List<Route> routes) {
      List<Route> own =
          routes.stream()
              .filter(r -> r.target() instanceof Route.AppTarget t && t.app().equals(name))
              .toList();
      if (own.isEmpty()) {
        return ROOT;
      }
      Route first = own.get(0);
      String host =
          own.stream()
              .map(Route::host)
              .filter(h -> !h.isEmpty() && !h.startsWith("*"))
              .findFirst()
              .orElse(null);
      String prefix = first.path().equals("/") ? "" : first.path();
      return new Mount(host, prefix, !prefix.isEmpty() && first.stripPrefix());
    }
  }

  /** The same app, mounted where {@code routes} put it. */
  public App mountedBy(List<Route> routes) {
    Backend b = backend;
    return new App(
        name,
        run,
        new Backend(
            b.balance(),
            b.healthCheck(),
            b.keepalive(),
            b.keepaliveTimeout(),
            b.retries(),
            b.upstreams(),
            Mount.of(name, routes)),
        deploy,
        statics);
  }

  /**
   * A short hash of the app's whole definition (12 hex digits of a SHA-256), from a stable
   * serialization: equal definitions hash alike in any berth run, whatever the order of env.
   */
  public String definitionHash() {
    return Canonical.hash(this);
  }

  /**
   * The same app run from {@code dir} with these processes: what a release changes (see {@link
   * ConfigLoader#forRelease}).
   */
  App inRelease(
      Path dir, String command, List<ProcessType> processes, Path envFile, Deploy deploy) {
    Run r = run;
    return new App(
        name,
        new Run(
            dir,
            command,
            r.instances(),
            r.env(),
            r.socket(),
            r.startTimeout(),
            r.stopTimeout(),
            r.restarts(),
            r.drainTimeout(),
            processes,
            envFile,
            r.recycle(),
            r.user(),
            r.logRateLimit()),
        backend,
        deploy,
        statics);
  }

  /** Whether it has a web process (command non-blank), which the edge routes to. */
  public boolean hasWeb() {
    return !run.command().isBlank();
  }

  /** The app's .env file: the configured one, or dir/.env. */
  public Path envFileOrDefault() {
    return run.envFile() != null ? run.envFile() : run.dir().resolve(".env");
  }

  /**
   * A process type: its command run as {@code instances} processes.
   *
   * @param stopTimeout its own stop_timeout, or null when not written (see {@link #stopTimeout})
   * @param rollout its own rollout, or null when not written (see {@link #rollout})
   */
  public record ProcessType(
      String name, String command, int instances, Duration stopTimeout, Rollout rollout) {
    public ProcessType {
      requireNonNull(name, "name");
      requireNonNull(command, "command");
    }

    /** With no stop_timeout or rollout of its own. */
    public ProcessType(String name, String command, int instances) {
      this(name, command, instances, null, null);
    }

    /**
     * The types that run: one per command (the Procfile's and the config's, in that order), with
     * the count and settings the config's processes table wrote for it, else one instance.
     */
    static List<ProcessType> merged(Map<String, String> commands, List<ProcessType> written) {
      Map<String, ProcessType> byName = new HashMap<>();
      written.forEach(w -> byName.put(w.name(), w));
      List<ProcessType> result = new ArrayList<>();
      commands.forEach(
          (type, command) -> {
            ProcessType own = byName.get(type);
            result.add(
                own == null
                    ? new ProcessType(type, command, 1)
                    : new ProcessType(
                        type, command, own.instances(), own.stopTimeout(), own.rollout()));
          });
      return result;
    }
  }

  private static final String WEB = "web";

  /** What a type that is not web waits at least, from SIGTERM to SIGKILL: Heroku's 30 seconds. */
  public static final Duration WORKER_STOP_TIMEOUT = Duration.ofSeconds(30);

  /**
   * How long a process of {@code type} has from SIGTERM to SIGKILL: web's is the app's
   * stop_timeout; another type's is its own, else the larger of the app's and {@link
   * #WORKER_STOP_TIMEOUT} (a job must not be cut because web's is short).
   */
  public Duration stopTimeout(String type) {
    requireNonNull(type, "type");
    Duration app = run.stopTimeout();
    if (type.equals(WEB)) {
      return app;
    }
    return processType(type)
        .map(ProcessType::stopTimeout)
        .orElse(app.compareTo(WORKER_STOP_TIMEOUT) > 0 ? app : WORKER_STOP_TIMEOUT);
  }

  /**
   * How a deploy or restart replaces the processes of {@code type}: web's start first (no request
   * waits); another type says so itself, else a type named clock or scheduler stops first, so that
   * scheduled work never runs twice.
   */
  public Rollout rollout(String type) {
    requireNonNull(type, "type");
    if (type.equals(WEB)) {
      return Rollout.START_FIRST;
    }
    return processType(type)
        .map(ProcessType::rollout)
        .orElse(SINGLETON_TYPES.contains(type) ? Rollout.STOP_FIRST : Rollout.START_FIRST);
  }

  private static final Set<String> SINGLETON_TYPES = Set.of("clock", "scheduler");

  private Optional<ProcessType> processType(String type) {
    return run.processes().stream().filter(p -> p.name().equals(type)).findFirst();
  }

  /** The order in which one process of a type is replaced by its successor. */
  public enum Rollout {
    /** The successor starts (and is ready) before the old one stops: no gap. */
    START_FIRST,
    /** The old one stops before its successor starts: never two at once. */
    STOP_FIRST;

    /** As written in the config and shown in output: "start-first", "stop-first". */
    public String configName() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  /** True for an app that berth proxies to but does not run. */
  public boolean external() {
    return !backend.upstreams().isEmpty();
  }

  /** How the edge picks an instance for a request. */
  public enum Balance {
    ROUND_ROBIN,
    LEAST_CONN
  }

  /**
   * Active health checking: GET {@code path} on each instance every {@code interval}; an answer
   * other than 2xx/3xx within {@code timeout} takes the instance out of rotation until one is.
   *
   * @param path the path as the app sees it (below its mount's prefix)
   * @param host the Host the checks send, or null for the mount's (see {@link ProbeRequest})
   */
  public record HealthCheck(String path, String host, Duration interval, Duration timeout) {
    public HealthCheck {
      requireNonNull(path, "path");
      requireNonNull(interval, "interval");
      requireNonNull(timeout, "timeout");
    }

    /** With the Host of the app's mount. */
    public HealthCheck(String path, Duration interval, Duration timeout) {
      this(path, null, interval, timeout);
    }
  }

  /**
   * Restarts: an instance that exits unexpectedly is started again after a backoff that doubles (1
   * s, 2 s, 4 s ... up to a minute, with jitter); after {@code max} unexpected exits within {@code
   * window} it is FATAL and left stopped, until an operator starts it.
   */
  public record Restarts(int max, Duration window) {
    public Restarts {
      requireNonNull(window, "window");
    }
  }

  /**
   * Recycling, as gunicorn's max_requests but without dropping requests: an instance is replaced
   * (successor started and ready first, then the old one drained and stopped) once it has been sent
   * {@code maxRequests} plus a random 0..{@code maxRequestsJitter} requests, or once its process
   * tree's resident memory exceeds {@code maxMemoryBytes}.
   *
   * @param maxRequests requests per incarnation, >= 1; null for no limit
   * @param maxRequestsJitter >= 0, added at random (0..jitter, per incarnation) to maxRequests
   * @param maxMemoryBytes RSS of the instance's whole process tree, in bytes; null for no limit
   */
  public record Recycle(Integer maxRequests, int maxRequestsJitter, Long maxMemoryBytes) {
    /** Never recycled. */
    public static final Recycle NONE = new Recycle(null, 0, null);

    public Recycle {
      if (maxRequests != null && maxRequests < 1) {
        throw new IllegalArgumentException("maxRequests < 1");
      }
      if (maxRequestsJitter < 0) {
        throw new IllegalArgumentException("maxRequestsJitter < 0");
      }
      if (maxMemoryBytes != null && maxMemoryBytes < 1) {
        throw new IllegalArgumentException("maxMemoryBytes < 1");
      }
    }

    /** Whether either limit is set. */
    public boolean any() {
      return maxRequests != null || maxMemoryBytes != null;
    }
  }

  /**
   * Deploys: the build and release phases, how many releases are kept, and what the config said
   * about the app's commands, so that a release's own Procfile is read as the config's was.
   *
   * @param build run in a new release's directory before it starts (installing requirements), or
   *     null for none
   * @param release run once per deploy after the build (migrations), or null: then the Procfile's
   *     {@code release:} line, if any
   * @param keepReleases releases kept on disk, >= 1 (the current one is always kept too)
   * @param buildTimeout how long the build may take before it is killed
   * @param releaseTimeout how long the release phase may take before it is killed
   * @param procfile the procfile as written in the config (relative to dir), or null for none
   * @param configCommand whether the config gave the web command ({@code command = ...})
   * @param processTable the config's {@code processes} table as written: a command, or "" when it
   *     only sets the count of a Procfile's type
   */
  public record Deploy(
      String build,
      String release,
      int keepReleases,
      Duration buildTimeout,
      Duration releaseTimeout,
      String procfile,
      boolean configCommand,
      List<ProcessType> processTable) {

    public static final int DEFAULT_KEEP_RELEASES = 5;
    public static final Duration DEFAULT_PHASE_TIMEOUT = Duration.ofMinutes(10);

    /** No build, no release phase, 5 releases kept; commands given by {@code command} alone. */
    public static final Deploy NONE =
        new Deploy(
            null,
            null,
            DEFAULT_KEEP_RELEASES,
            DEFAULT_PHASE_TIMEOUT,
            DEFAULT_PHASE_TIMEOUT,
            null,
            true,
            List.of());

    public Deploy {
      if (keepReleases < 1) {
        throw new IllegalArgumentException("keepReleases < 1");
      }
      requireNonNull(buildTimeout, "buildTimeout");
      requireNonNull(releaseTimeout, "releaseTimeout");
      processTable = List.copyOf(processTable);
    }

    /** The same, with this release command (the one a release's Procfile gave). */
    public Deploy withRelease(String release) {
      return new Deploy(
          build,
          release,
          keepReleases,
          buildTimeout,
          releaseTimeout,
          procfile,
          configCommand,
          processTable);
    }
  }

  /** How an app instance listens for the edge. */
  public enum SocketKind {
    UNIX,
    TCP
  }
}
