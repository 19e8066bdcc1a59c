package dev.berth.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The keys of an {@code [apps.NAME]} table and of its {@code health_check}; those of each of its
 * {@code processes} are in {@link ProcessKeys}.
 */
final class AppKeys {

  static final int MAX_INSTANCES = 64;
  static final int REQUEST_LIMIT = 1_000_000_000;

  /** Below this, an instance would be recycled as soon as it started. */
  static final long MIN_MAX_MEMORY = 1L << 20;

  static final Key<Path> DIR =
      Key.of(
              "dir",
              Types.DIRECTORY,
              null,
              "(the config file's directory)",
              "\"/srv/web\"",
              """
              The working directory of the app's processes, relative to the config file's
              directory. A deploy runs the app from a release instead (see docs/deploys.md).
              """)
          .runOnly();

  static final Key<String> COMMAND =
      Key.of(
              "command",
              Types.COMMAND,
              null,
              "(required, unless procfile or processes gives the processes)",
              "\"gunicorn app:app\"",
              """
              The web process: a shell command line, run as sh -c "exec COMMAND" in its own
              session and process group. Where to listen is in BERTH_SOCKET (socket = "unix") or
              PORT ("tcp"), and in GUNICORN_CMD_ARGS as --bind, so "gunicorn app:app" needs no
              more. An app with only workers has none.
              """)
          .runOnly();

  static final Key<Integer> INSTANCES =
      Key.of(
              "instances",
              Types.integer(1, MAX_INSTANCES),
              1,
              "1",
              "3",
              """
              How many web processes run, each on its own socket; requests are spread over those
              that are ready. berth scale changes it while berth runs.
              """)
          .runOnly();

  static final Key<JsonNode> ENV =
      Key.table(
              "env",
              Types.table("a table of NAME = \"value\" (strings, integers or booleans)"),
              """
              Extra environment variables of the app's processes, as a table:
              { DATABASE_URL = "postgresql:///web", WORKERS = 3 }. Values are strings, integers or
              booleans. env_file, then berth env set, override them.
              """)
          .runOnly();

  static final Key<App.SocketKind> SOCKET =
      Key.of(
              "socket",
              Types.choice(App.SocketKind.class),
              App.SocketKind.UNIX,
              "\"unix\"",
              "\"tcp\"",
              """
              How web instances listen: "unix", a socket <state_dir>/run/APP/APP-N.G.sock (N the
              instance's number, G 0 to 9: a successor gets the next free one) given as
              BERTH_SOCKET, or "tcp", a free port on 127.0.0.1 given as PORT.
              """)
          .runOnly();

  static final Key<Duration> START_TIMEOUT =
      Key.of(
              "start_timeout",
              Types.DURATION_TYPE,
              Duration.ofSeconds(30),
              "\"30s\"",
              "\"60s\"",
              "How long a new instance may take to be ready (to answer below 500, or 2xx/3xx to its health check); past it, its start has failed.")
          .runOnly();

  static final Key<Duration> STOP_TIMEOUT =
      Key.of(
              "stop_timeout",
              Types.DURATION_TYPE,
              Duration.ofSeconds(10),
              "\"10s\"",
              "\"30s\"",
              """
              How long from SIGTERM to SIGKILL when a web instance is stopped. Other process
              types wait their own stop_timeout, else the larger of this and 30s.
              """)
          .runOnly();

  static final Key<App.Balance> BALANCE =
      Key.of(
          "balance",
          Types.choice(App.Balance.class),
          App.Balance.ROUND_ROBIN,
          "\"round_robin\"",
          "\"least_conn\"",
          """
          How requests are spread over the instances: "round_robin" in turn, or "least_conn" to
          the instance with the fewest requests in flight.
          """);

  static final Key<JsonNode> HEALTH_CHECK =
      Key.table(
          "health_check",
          Types.table("a table like { path = \"/health\" }"),
          """
          Active health checks of each instance. Without it an instance leaves rotation only when
          connections to it fail, and readiness at start asks GET / (under the app's prefix) and
          takes any answer below 500.
          """);

  static final Key<Integer> KEEPALIVE =
      Key.of(
          "keepalive",
          Types.integer(0, 1024),
          64,
          "64",
          "0",
          """
          Idle connections to each instance kept open for later requests, per event loop; 0 opens
          a new connection for every request.
          """);

  static final Key<Duration> KEEPALIVE_TIMEOUT =
      Key.of(
          "keepalive_timeout",
          Types.DURATION_TYPE,
          Duration.ofSeconds(60),
          "\"60s\"",
          "\"15s\"",
          "How long an idle connection to an instance is kept before berth closes it.");

  static final Key<List<UpstreamAddress>> UPSTREAMS =
      Key.of(
          "upstreams",
          Addresses.UPSTREAMS,
          List.of(),
          "(none: berth runs the app)",
          "[\"127.0.0.1:9000\", \"unix:/run/legacy.sock\"]",
          """
          For an app berth does not run but proxies to: the addresses it already listens on,
          "host:port" or "unix:/absolute/path". Such an app takes none of the keys about running
          processes (dir, command, env, timeouts, restarts, recycling, deploys).
          """);

  static final Key<Integer> RETRIES =
      Key.of(
          "retries",
          Types.integer(0, MAX_INSTANCES),
          1,
          "1",
          "0",
          """
          How many times a request that was fully sent and then lost its instance (the connection
          closed or reset before any response byte) is retried on another instance; connect
          failures and refused connections are always retried on every instance. With 0 a request
          is never sent twice; with 1 a request that crashes its instance reaches at most two.
          """);

  static final Key<Integer> MAX_RESTARTS =
      Key.of(
              "max_restarts",
              Types.integer(0, 1000),
              5,
              "5",
              "10",
              """
              An instance that exits unexpectedly is started again after a backoff (1 s, 2 s,
              4 s ... up to a minute); after more than max_restarts exits within restart_window
              it is FATAL and left stopped until berth start.
              """)
          .runOnly();

  static final Key<Duration> RESTART_WINDOW =
      Key.of(
              "restart_window",
              Types.DURATION_TYPE,
              Duration.ofSeconds(60),
              "\"60s\"",
              "\"5m\"",
              "The window in which max_restarts counts unexpected exits.")
          .runOnly();

  static final Key<Duration> DRAIN_TIMEOUT =
      Key.of(
              "drain_timeout",
              Types.DURATION_TYPE,
              Duration.ofSeconds(30),
              "\"30s\"",
              "\"2m\"",
              """
              How long an instance taken out of rotation (restart, recycling, deploy) may finish
              its requests in flight before it is stopped.
              """)
          .runOnly();

  static final Key<Path> PROCFILE =
      Key.of(
              "procfile",
              Types.file("a Procfile (\"type: command\" lines)"),
              null,
              "(none)",
              "\"Procfile\"",
              """
              A Procfile ("type: command" lines), relative to dir: its web: line is the command,
              its release: line the release phase, and every other type a process of its own. A
              deploy reads it again from each release.
              """)
          .runOnly();

  static final Key<JsonNode> PROCESSES =
      Key.table(
              "processes",
              Types.table("a table like { worker = \"python worker.py\" }"),
              """
              Process types besides web (workers, schedulers), which get no socket and no
              traffic.
              """)
          .runOnly();

  static final Key<Path> ENV_FILE =
      Key.of(
              "env_file",
              Types.file("a file of NAME=value lines"),
              null,
              "(.env in dir, if it exists at each start)",
              "\"prod.env\"",
              """
              A file of NAME=value lines, relative to dir, read at each start of a process. If
              given, it must exist. It stays where it is across deploys: secrets are not part of a
              release.
              """)
          .runOnly();

  static final Key<Integer> MAX_REQUESTS =
      Key.of(
              "max_requests",
              Types.integer(1, REQUEST_LIMIT),
              null,
              "(none)",
              "1000",
              """
              Recycle an instance once berth has sent it this many requests: a fresh one is
              started and ready first, then the old one drains and stops, so no request is lost.
              """)
          .runOnly();

  static final Key<Integer> MAX_REQUESTS_JITTER =
      Key.of(
              "max_requests_jitter",
              Types.integer(0, REQUEST_LIMIT),
              0,
              "0",
              "50",
              """
              Only with max_requests: add a random 0 to this many to it, drawn anew for each
              process, so that instances are not all recycled at once.
              """)
          .runOnly();

  static final Key<Long> MAX_MEMORY =
      Key.of(
              "max_memory",
              ValueType.of(
                  "size",
                  Types.SIZE_EXPECTED + ", at least \"1m\"",
                  v -> {
                    String expected = Types.SIZE_EXPECTED + ", at least \"1m\"";
                    long bytes;
                    try {
                      bytes = Types.size(0, Long.MAX_VALUE).read(v, null);
                    } catch (Rejected r) {
                      throw new Rejected(expected);
                    }
                    if (bytes < MIN_MAX_MEMORY) {
                      throw new Rejected(expected);
                    }
                    return bytes;
                  }),
              null,
              "(none)",
              "\"512m\"",
              """
              Recycle an instance (as max_requests) once the resident memory of its whole process
              tree passes this.
              """)
          .runOnly();

  /** Above this, a limit would not protect berth from anything. */
  static final int MAX_LOG_RATE_LIMIT = 1_000_000;

  static final Key<Integer> LOG_RATE_LIMIT =
      Key.of(
              "log_rate_limit",
              Types.integer(0, MAX_LOG_RATE_LIMIT),
              App.DEFAULT_LOG_RATE_LIMIT,
              "10000",
              "1000",
              """
              Lines of output per second kept from each instance (and as many at once); 0 for no
              limit. Lines past it are read and dropped, and counted: a berth line in the app's
              log and a warning in berth's own say how many, every 10 s while dropping. While over
              it, an instance's output is read every 10 ms, which slows a flood to about 6 MB/s;
              an instance under it never waits. It keeps an app printing as fast as it can from
              taking berth's CPU from the edge.
              """)
          .runOnly();

  static final Key<String> USER =
      Key.of(
              "user",
              ValueType.of(
                  "string", "a user name or uid known to this host (getent passwd)", AppKeys::user),
              null,
              "(nobody when berth runs as root)",
              "\"www-data\"",
              """
              Who the app's processes run as when berth runs as root (switched with setpriv);
              "root" runs it as root, and only when written. A berth that is not root runs apps as
              itself, and user may then only name that same user.
              """)
          .runOnly();

  static final Key<String> BUILD =
      Key.of(
              "build",
              Types.COMMAND,
              null,
              "(none)",
              "\"pip install -r requirements.txt\"",
              """
              Deploys: a shell command run in each new release's directory before it starts, such
              as installing requirements. A non-zero exit stops the deploy.
              """)
          .runOnly();

  static final Key<String> RELEASE =
      Key.of(
              "release",
              Types.COMMAND,
              null,
              "(the Procfile's release: line, if any)",
              "\"flask db upgrade\"",
              """
              Deploys: a shell command run once per deploy after the build, such as migrations. A
              non-zero exit stops the deploy and the running release keeps serving.
              """)
          .runOnly();

  static final Key<Integer> KEEP_RELEASES =
      Key.of(
              "keep_releases",
              Types.integer(1, 1000),
              App.Deploy.DEFAULT_KEEP_RELEASES,
              "5",
              "10",
              "Deploys: releases kept on disk, newest first; the current one is always kept too.")
          .runOnly();

  static final Key<Duration> BUILD_TIMEOUT =
      Key.of(
              "build_timeout",
              Types.DURATION_TYPE,
              App.Deploy.DEFAULT_PHASE_TIMEOUT,
              "\"10m\"",
              "\"30m\"",
              "How long the build may run; then its processes are ended and the deploy fails.")
          .runOnly();

  static final Key<Duration> RELEASE_TIMEOUT =
      Key.of(
              "release_timeout",
              Types.DURATION_TYPE,
              App.Deploy.DEFAULT_PHASE_TIMEOUT,
              "\"10m\"",
              "\"1h\"",
              "How long the release phase may run; then it is ended and the deploy fails.")
          .runOnly();

  static final Key<JsonNode> STATIC =
      Key.table(
              "static",
              Types.table("a table like { \"/static\" = \"staticfiles\" }"),
              """
              Directories of the app's release that berth serves as files, by URL path under each
              of the app's routes: { "/static" = "staticfiles" } serves /static/site.css (or
              /blog/static/site.css for a route at /blog) from staticfiles/site.css in the release
              that serves the app's traffic. They switch with each deploy, roll back with it, and
              never come from a release whose build failed. A directory missing from a release is
              a 404, not a config error (docs/routing.md).
              """)
          .runOnly();

  static final Key<JsonNode> ERROR_PAGES =
      Key.table(
          "error_pages",
          Types.table("a table like { 502 = \"static/502.html\" }"),
          """
          Pages (HTML, up to 1 MiB, relative to the config file's directory, read at check, up
          and reload) that berth answers with, with their status, when it cannot get an answer
          from the app itself: 502 (no instance ready, refused, reset), 504 (no answer in
          upstream_response_timeout). berth answers no 503 of its own today; a 503 page is
          taken for when it does. A 502 the app sends is passed on as it is, as nginx does
          without proxy_intercept_errors.
          """);

  /** In the order error messages list them: the basics, how it is reached, then the rest. */
  static final List<Key<?>> ALL =
      List.of(
          DIR,
          COMMAND,
          INSTANCES,
          ENV,
          SOCKET,
          START_TIMEOUT,
          STOP_TIMEOUT,
          BALANCE,
          HEALTH_CHECK,
          KEEPALIVE,
          KEEPALIVE_TIMEOUT,
          UPSTREAMS,
          RETRIES,
          MAX_RESTARTS,
          RESTART_WINDOW,
          DRAIN_TIMEOUT,
          PROCFILE,
          PROCESSES,
          ENV_FILE,
          MAX_REQUESTS,
          MAX_REQUESTS_JITTER,
          MAX_MEMORY,
          LOG_RATE_LIMIT,
          USER,
          BUILD,
          RELEASE,
          KEEP_RELEASES,
          BUILD_TIMEOUT,
          RELEASE_TIMEOUT,
          STATIC,
          ERROR_PAGES);

  // ---- [apps.NAME.error_pages] ----

  static final List<Key<?>> ERROR_PAGE_KEYS =
      List.of(
          errorPage(502, "no instance ready, or it refused or lost the connection"),
          errorPage(503, "none today"),
          errorPage(504, "no answer within upstream_response_timeout"));

  private static Key<Path> errorPage(int status, String when) {
    return Key.of(
        Integer.toString(status),
        Types.file("an HTML file"),
        null,
        "(berth's own page)",
        "\"static/" + status + ".html\"",
        "The page for berth's own " + status + " (" + when + ").");
  }

  // ---- [apps.NAME.health_check] ----

  static final Key<String> HEALTH_PATH =
      Key.of(
          "path",
          ValueType.of(
              "string",
              "an absolute path like \"/health\"",
              v -> {
                String expected = "an absolute path like \"/health\"";
                String p = Types.string(v, expected);
                if (!p.startsWith("/") || p.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
                  throw new Rejected(expected);
                }
                return p;
              }),
          null,
          "(required)",
          "\"/health\"",
          """
          The path requested with GET on each instance, as the app sees it (under a prefix route
          berth asks for the prefix and this path, as a request routed there would); any answer but
          2xx or 3xx in time takes the instance out of rotation until a later check passes.
          Readiness at start requests it too, and needs a 2xx or 3xx.
          """);

  static final Key<String> HEALTH_HOST =
      Key.of(
          "host",
          ValueType.of(
              "string",
              "a host name like \"example.com\", without scheme, port or wildcard",
              v -> {
                String expected =
                    "a host name like \"example.com\", without scheme, port or wildcard";
                String host;
                try {
                  host = Addresses.ROUTE_HOST.read(v, null);
                } catch (Rejected e) {
                  throw new Rejected(expected);
                }
                if (host.isEmpty() || host.startsWith("*")) {
                  throw new Rejected(expected);
                }
                return host;
              }),
          null,
          "(the app's route host, else \"localhost\")",
          "\"www.example.com\"",
          """
          The Host that readiness and the health checks send. By default the host of the app's
          first route that names an exact host, else "localhost". Set it when the app only accepts
          some names (Django's ALLOWED_HOSTS) and no route names one of them. Either way the
          probes carry the forwarding fields a request on the app's first route would
          (X-Forwarded-Proto, X-Forwarded-Host, X-Forwarded-Prefix, SCRIPT_NAME under a prefix),
          so that an app that learns its mount point from its first request learns the right one.
          """);

  static final Key<Duration> HEALTH_INTERVAL =
      Key.of(
          "interval",
          Types.DURATION_TYPE,
          Duration.ofSeconds(10),
          "\"10s\"",
          "\"5s\"",
          "How often each instance is checked.");

  static final Key<Duration> HEALTH_TIMEOUT =
      Key.of(
          "timeout",
          Types.DURATION_TYPE,
          Duration.ofSeconds(2),
          "\"2s\"",
          "\"1s\"",
          "How long a check may take; a slower answer counts as a failure.");

  static final List<Key<?>> HEALTH_CHECK_KEYS =
      List.of(HEALTH_PATH, HEALTH_HOST, HEALTH_INTERVAL, HEALTH_TIMEOUT);

  /** A variable's value in env: a string, an integer or a boolean, as a string. */
  static final ValueType<String> ENV_VALUE =
      ValueType.of(
          "string",
          "a string, an integer or a boolean",
          value -> {
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
          });

  private AppKeys() {}

  /**
   * An account the name service knows; checked here so that a typo fails at load, with its line.
   */
  private static String user(JsonNode value) throws Rejected {
    String expected = "a user name or uid known to this host (getent passwd)";
    String name = Types.nonBlank(value, expected);
    try {
      return UserAccount.lookup(name)
          .map(UserAccount::name)
          .orElseThrow(() -> new Rejected(expected + "; no such user"));
    } catch (IOException e) {
      throw new Rejected(expected + "; " + e.getMessage());
    }
  }
}
