package dev.berth.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.berth.config.App.SocketKind;
import dev.berth.config.EdgeSettings.IoTransport;
import dev.berth.config.Route.AppTarget;
import dev.berth.config.Route.StaticTarget;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ConfigLoaderTest {

  private static final String LISTENER = "[[listeners]]\naddress = \":8080\"\n";

  @TempDir Path dir;
  private Path file;

  @BeforeEach
  void setUp() throws IOException {
    file = dir.resolve("berth.toml");
    Files.createDirectories(dir.resolve("app"));
    Files.createDirectories(dir.resolve("public"));
  }

  @Test
  void loadsAFullConfig() throws Exception {
    Files.writeString(
        file,
        """
        state_dir = "var/../state"
        shutdown_timeout = "5s"

        [[listeners]]
        address = "*:8080"

        [[listeners]]
        address = "[::1]:8443"

        [apps.web]
        dir = "app"
        command = "gunicorn app:app"
        instances = 3
        env = { DEBUG = false, WORKERS = 2, NAME = "x y" }
        socket = "tcp"
        start_timeout = "500ms"
        stop_timeout = 20

        [apps.blog]
        command = "python -m blog"

        [[routes]]
        host = "Example.COM"
        path = "/blog/"
        app = "blog"
        strip_prefix = true

        [[routes]]
        host = "*.example.com"
        static = "public"

        [[routes]]
        app = "web"
        """);

    Config config = ConfigLoader.load(file);

    Path realDir = dir.toRealPath();
    assertThat(config.file()).isEqualTo(file.toAbsolutePath());
    assertThat(config.stateDir()).isEqualTo(dir.toAbsolutePath().resolve("state"));
    assertThat(config.shutdownTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(config.listeners())
        .containsExactly(new Listener("", 8080), new Listener("::1", 8443));
    assertThat(config.apps().keySet()).containsExactly("web", "blog");
    assertThat(config.apps().get("web"))
        .isEqualTo(
            new App(
                "web",
                new App.Run(
                    realDir.resolve("app"),
                    "gunicorn app:app",
                    3,
                    Map.of("DEBUG", "false", "WORKERS", "2", "NAME", "x y"),
                    SocketKind.TCP,
                    Duration.ofMillis(500),
                    Duration.ofSeconds(20),
                    new App.Restarts(5, Duration.ofSeconds(60)),
                    Duration.ofSeconds(30),
                    List.of(),
                    null,
                    App.Recycle.NONE,
                    null,
                    App.DEFAULT_LOG_RATE_LIMIT),
                new App.Backend(
                    App.Balance.ROUND_ROBIN, null, 64, Duration.ofSeconds(60), 1, List.of()),
                App.Deploy.NONE,
                Map.of()));
    assertThat(config.apps().get("blog"))
        .isEqualTo(
            new App(
                "blog",
                new App.Run(
                    realDir,
                    "python -m blog",
                    1,
                    Map.of(),
                    SocketKind.UNIX,
                    Duration.ofSeconds(30),
                    Duration.ofSeconds(10),
                    new App.Restarts(5, Duration.ofSeconds(60)),
                    Duration.ofSeconds(30),
                    List.of(),
                    null,
                    App.Recycle.NONE,
                    null,
                    App.DEFAULT_LOG_RATE_LIMIT),
                new App.Backend(
                    App.Balance.ROUND_ROBIN,
                    null,
                    64,
                    Duration.ofSeconds(60),
                    1,
                    List.of(),
                    new App.Mount("example.com", "/blog", true)),
                App.Deploy.NONE,
                Map.of()));
    RouteLimits limits = RouteLimits.standard();
    AccessLogSpec log =
        new AccessLogSpec(
            true,
            dir.toAbsolutePath().resolve("state/log/access.log"),
            AccessLogSpec.Format.COMBINED);
    assertThat(config.edge()).isEqualTo(EdgeSettings.standard());
    assertThat(config.accessLog()).isEqualTo(log);
    assertThat(config.routes())
        .containsExactly(
            new Route("example.com", "/blog", new AppTarget("blog"), true, limits, log, 22),
            new Route(
                "*.example.com",
                "/",
                new StaticTarget(realDir.resolve("public"), "", true, false),
                false,
                limits,
                log,
                28),
            new Route("", "/", new AppTarget("web"), false, limits, log, 32));
  }

  /**
   * .berth beside the config, or for root a directory under /var/lib/berth (DefaultStateDirTest).
   */
  private Path defaultStateDir() {
    Path base = dir.toAbsolutePath();
    return DefaultStateDir.of(
        base, base.resolve("berth.toml"), UserAccount.currentUid() == 0, System.getenv());
  }

  @Test
  void appliesTopLevelDefaults() throws Exception {
    Config config = parse(LISTENER);

    assertThat(config.stateDir()).isEqualTo(defaultStateDir());
    assertThat(config.runDir()).isEqualTo(defaultStateDir().resolve("run"));
    assertThat(config.shutdownTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(config.apps()).isEmpty();
    assertThat(config.routes()).isEmpty();
  }

  @Test
  void unknownKeyNamesItsLineAndTheKnownKeys() {
    assertThat(
            problems(
                LISTENER
                    + """

                    [apps.web]
                    command = "x"
                    replicas = 2
                    """))
        .containsExactly(
            "berth.toml:6: apps.web.replicas: unknown key (expected one of: dir, command,"
                + " instances, env, socket, start_timeout, stop_timeout, balance, health_check, keepalive,"
                + " keepalive_timeout, upstreams, retries, max_restarts, restart_window, drain_timeout, procfile, processes, env_file, max_requests, max_requests_jitter, max_memory, log_rate_limit, user, build, release, keep_releases, build_timeout, release_timeout, static, error_pages)");
  }

  @Test
  void unknownKeySuggestsTheClosestKnownOne() {
    assertThat(
            problems(
                LISTENER
                    + """
                    [apps.web]
                    comand = "x"
                    instnaces = 2
                    health = { path = "/h" }
                    max_req = 5
                    max = 5
                    [[routes]]
                    app = "web"
                    stirp_prefix = true
                    """))
        .containsExactly(
            "berth.toml:3: apps.web.command: missing (expected: a non-blank command line, a"
                + " procfile, or processes)",
            "berth.toml:4: apps.web.comand: unknown key (did you mean command?)",
            "berth.toml:5: apps.web.instnaces: unknown key (did you mean instances?)",
            "berth.toml:6: apps.web.health: unknown key (did you mean health_check?)",
            "berth.toml:7: apps.web.max_req: unknown key (did you mean max_requests?)",
            "berth.toml:8: apps.web.max: unknown key (expected one of: dir, command, instances,"
                + " env, socket, start_timeout, stop_timeout, balance, health_check, keepalive,"
                + " keepalive_timeout, upstreams, retries, max_restarts, restart_window,"
                + " drain_timeout, procfile, processes, env_file, max_requests,"
                + " max_requests_jitter, max_memory, log_rate_limit, user, build, release, keep_releases,"
                + " build_timeout, release_timeout, static, error_pages)",
            "berth.toml:11: routes[0].stirp_prefix: unknown key (did you mean strip_prefix?)");
  }

  @Test
  void retriesDefaultToOneAndMayBeZero() throws Exception {
    String app = LISTENER + "[apps.web]\ncommand = \"x\"\n";

    assertThat(parse(app).apps().get("web").backend().retries()).isEqualTo(1);
    assertThat(parse(app + "retries = 0\n").apps().get("web").backend().retries()).isZero();
    assertThat(
            parse(LISTENER + "[apps.ext]\nupstreams = [\"127.0.0.1:9000\"]\nretries = 3\n")
                .apps()
                .get("ext")
                .backend()
                .retries())
        .isEqualTo(3);
    assertThat(problems(app + "retries = -1\n"))
        .containsExactly("berth.toml:5: apps.web.retries: -1 (expected: an integer from 0 to 64)");
  }

  @Test
  void instancesOutOfRange() {
    String app = LISTENER + "[apps.web]\ncommand = \"x\"\ninstances = ";

    assertThat(problems(app + "0"))
        .containsExactly("berth.toml:5: apps.web.instances: 0 (expected: an integer from 1 to 64)");
    assertThat(problems(app + "65"))
        .containsExactly(
            "berth.toml:5: apps.web.instances: 65 (expected: an integer from 1 to 64)");
    assertThat(problems(app + "\"two\""))
        .containsExactly(
            "berth.toml:5: apps.web.instances: \"two\" (expected: an integer from 1 to 64)");
    assertThat(problems(app + "2.0"))
        .containsExactly(
            "berth.toml:5: apps.web.instances: 2.0 (expected: an integer from 1 to 64)");
  }

  @Test
  void syntaxErrorNamesLineAndColumn() {
    assertThat(problems("a = 1\nb = = 2\n"))
        .containsExactly(
            "berth.toml:2:5: syntax error: unexpected \"=\" (expected: a value: \"text\" in quotes,"
                + " a number, true or false, [a list] or { a table })");
    assertThat(problems("[x]\ny = 1\n[x]\n"))
        .singleElement()
        .asString()
        .startsWith("berth.toml:3:")
        .doesNotContain("Source");
  }

  @Test
  void reportsEveryProblemInLineOrder() {
    assertThat(
            problems(
                """
                [apps.web]
                instances = 0
                socket = "udp"

                [[routes]]
                app = "nope"
                """))
        .containsExactly(
            "berth.toml:1: listeners: missing (expected: at least one [[listeners]] table with an"
                + " address like \":8080\")",
            "berth.toml:1: apps.web.command: missing (expected: a non-blank command line, a procfile, or processes)",
            "berth.toml:2: apps.web.instances: 0 (expected: an integer from 1 to 64)",
            "berth.toml:3: apps.web.socket: \"udp\" (expected: \"unix\" or \"tcp\")",
            "berth.toml:6: routes[0].app: \"nope\" (expected: one of the apps: web)");
  }

  @Test
  void missingRequiredKeyPointsAtItsTable() {
    assertThat(problems(LISTENER + "\n\n[apps.web]\ndir = \"app\"\n"))
        .containsExactly(
            "berth.toml:5: apps.web.command: missing (expected: a non-blank command line, a procfile, or processes)");
    assertThat(problems("[[listeners]]\n"))
        .singleElement()
        .asString()
        .startsWith("berth.toml:1: listeners[0].address: missing (expected: \"host:port\"");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "'example.COM'      | example.com",
        "'*'                | ''",
        "'*.Example.com'    | *.example.com",
        "'localhost'        | localhost",
        "'127.0.0.1'        | 127.0.0.1",
        "'[::1]'            | [::1]",
      })
  void routeHosts(String given, String stored) throws Exception {
    Config config = parse(LISTENER + "[[routes]]\nstatic = \"public\"\nhost = \"" + given + "\"\n");

    assertThat(config.routes().getFirst().host()).isEqualTo(stored);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "http://example.com",
        "example.com:80",
        "a.*.com",
        "*example.com",
        "ex ample",
        "example.com/",
        "-a.com",
        "300.1.1.1",
        "*.*"
      })
  void badRouteHosts(String host) {
    assertThat(problems(LISTENER + "[[routes]]\nstatic = \"public\"\nhost = \"" + host + "\"\n"))
        .containsExactly(
            "berth.toml:5: routes[0].host: \""
                + host
                + "\" (expected: a host name like \"example.com\", a wildcard like"
                + " \"*.example.com\" or \"*\" for any host, without scheme or port)");
  }

  @ParameterizedTest
  @CsvSource({"/, /", "/blog/, /blog", "/a/b, /a/b", "/a.b/..c, /a.b/..c"})
  void routePaths(String given, String stored) throws Exception {
    Config config = parse(LISTENER + "[[routes]]\nstatic = \"public\"\npath = \"" + given + "\"\n");

    assertThat(config.routes().getFirst().path()).isEqualTo(stored);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "blog", "/a//b", "/a/../b", "/./a", "/a/.", "/a?x", "/a#b", "/a b"})
  void badRoutePaths(String path) {
    assertThat(problems(LISTENER + "[[routes]]\nstatic = \"public\"\npath = \"" + path + "\"\n"))
        .singleElement()
        .asString()
        .startsWith("berth.toml:5: routes[0].path: \"" + path + "\" (expected: a path starting");
  }

  @Test
  void badRouteTargets() throws IOException {
    Files.writeString(dir.resolve("plain.txt"), "");
    assertThat(
            problems(
                LISTENER
                    + """
                    [apps.web]
                    command = "x"
                    [apps.blog]
                    command = "y"
                    [[routes]]
                    path = "/a"
                    app = "blgo"
                    [[routes]]
                    path = "/b"
                    app = "web"
                    static = "public"
                    [[routes]]
                    path = "/c"
                    [[routes]]
                    path = "/d"
                    static = "missing"
                    strip_prefix = true
                    [[routes]]
                    path = "/e"
                    static = "plain.txt"
                    """))
        .containsExactly(
            "berth.toml:9: routes[0].app: \"blgo\" (expected: one of the apps: blog, web)",
            "berth.toml:10: routes[1]: both app and static (expected: exactly one of app ="
                + " \"<app name>\", static = \"<directory>\" or redirect = \"<url>\")",
            "berth.toml:14: routes[2]: neither app nor static (expected: exactly one of app ="
                + " \"<app name>\", static = \"<directory>\" or redirect = \"<url>\")",
            "berth.toml:18: routes[3].static: \"missing\" (expected: an existing directory; "
                + dir.toAbsolutePath().resolve("missing")
                + " does not exist)",
            "berth.toml:19: routes[3].strip_prefix: true (expected: only on a route with app = ...)",
            "berth.toml:22: routes[4].static: \"plain.txt\" (expected: an existing directory; "
                + dir.toAbsolutePath().resolve("plain.txt")
                + " is not a directory)");
  }

  @Test
  void duplicateRoutesAreReportedOnTheSecond() {
    assertThat(
            problems(
                LISTENER
                    + """
                    [[routes]]
                    host = "*"
                    path = "/blog"
                    static = "public"

                    [[routes]]
                    path = "/blog/"
                    static = "app"
                    """))
        .containsExactly(
            "berth.toml:8: routes[1]: host \"*\" and path \"/blog\" duplicate the route at line 3"
                + " (expected: one route per host and path)");
  }

  @ParameterizedTest
  @CsvSource({
    "localhost:8080, localhost, 8080",
    "127.0.0.1:1, 127.0.0.1, 1",
    ":65535, '', 65535",
    "*:80, '', 80",
    "'[::1]:8080', ::1, 8080",
    "'[::]:80', ::, 80",
  })
  void listenerAddresses(String address, String host, int port) throws Exception {
    Config config = parse("[[listeners]]\naddress = \"" + address + "\"\n");

    assertThat(config.listeners()).containsExactly(new Listener(host, port));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "8080",
        "localhost",
        ":0",
        ":65536",
        "::1:8080",
        "[zz]:80",
        "[::1]",
        "host:abc",
        "a b:80",
        "http://x:80",
        ":+80"
      })
  void badListenerAddresses(String address) {
    assertThat(problems("[[listeners]]\naddress = \"" + address + "\"\n"))
        .containsExactly(
            "berth.toml:2: listeners[0].address: \""
                + address
                + "\" (expected: \"host:port\" like \"127.0.0.1:8080\", \":8080\" (all"
                + " interfaces) or \"[::1]:8080\", with a port from 1 to 65535, or \"unix:\" and"
                + " an absolute path like \"unix:/srv/alice/berth.sock\")");
  }

  @Test
  void listenersAreRequiredAndUnique() {
    String expected =
        " (expected: at least one [[listeners]] table with an address like \":8080\")";
    assertThat(problems("")).containsExactly("berth.toml:1: listeners: missing" + expected);
    assertThat(problems("\nlisteners = []\n"))
        .containsExactly("berth.toml:2: listeners: []" + expected);
    assertThat(problems("listeners = \"x\"\n"))
        .containsExactly("berth.toml:1: listeners: \"x\"" + expected);
    assertThat(problems("listeners = [\n  1,\n  {address = \":80\"},\n]\n"))
        .containsExactly("berth.toml:2: listeners[0]: 1" + expected);
    assertThat(problems(LISTENER + "\n[[listeners]]\naddress = \"*:8080\"\n"))
        .containsExactly(
            "berth.toml:5: listeners[1].address: \"*:8080\" duplicates the listener at line 2"
                + " (expected: one listener per host and port)");
  }

  @ParameterizedTest
  @CsvSource({
    "'\"500ms\"', PT0.5S",
    "'\"30s\"', PT30S",
    "'\"2m\"', PT2M",
    "'\"24h\"', PT24H",
    "45, PT45S"
  })
  void durations(String toml, Duration expected) throws Exception {
    assertThat(parse("shutdown_timeout = " + toml + "\n" + LISTENER).shutdownTimeout())
        .isEqualTo(expected);
  }

  @Test
  void badDurations() {
    String app = LISTENER + "[apps.web]\ncommand = \"x\"\nstart_timeout = ";
    String format = "(expected: a duration like \"30s\", \"500ms\" or \"2m\")";
    String range = "(expected: a duration more than 0 and at most 24h)";

    assertThat(problems(app + "\"soon\""))
        .containsExactly("berth.toml:5: apps.web.start_timeout: \"soon\" " + format);
    assertThat(problems(app + "\"1.5s\"")).singleElement().asString().endsWith(format);
    assertThat(problems(app + "1.5")).singleElement().asString().endsWith(format);
    assertThat(problems(app + "\"30 s\"")).singleElement().asString().endsWith(format);
    assertThat(problems(app + "\"0s\"")).singleElement().asString().endsWith(range);
    assertThat(problems(app + "0")).singleElement().asString().endsWith(range);
    assertThat(problems(app + "-1")).singleElement().asString().endsWith(range);
    assertThat(problems(app + "\"25h\"")).singleElement().asString().endsWith(range);
    assertThat(problems(app + "86401")).singleElement().asString().endsWith(range);
    assertThat(problems(app + "\"9999999999999h\"")).singleElement().asString().endsWith(range);
    assertThat(problems(app + "99999999999999999999")).singleElement().asString().endsWith(range);
  }

  @Test
  void envAsInlineTableOrSubTable() throws Exception {
    Config inline =
        parse(LISTENER + "[apps.web]\ncommand = \"x\"\nenv = { A = 1, B = true, C = \"c\" }\n");
    Config table =
        parse(LISTENER + "[apps.web]\ncommand = \"x\"\n[apps.web.env]\nA = 1\nB = true\nC = 'c'\n");

    Map<String, String> expected = Map.of("A", "1", "B", "true", "C", "c");
    assertThat(inline.apps().get("web").run().env()).isEqualTo(expected);
    assertThat(table.apps().get("web").run().env()).isEqualTo(expected);
  }

  @Test
  void badEnv() {
    assertThat(
            problems(
                LISTENER
                    + """
                    [apps.web]
                    command = "x"
                    env = { A = 1.5, "1X" = "y", B = [1] }
                    """))
        .containsExactly(
            "berth.toml:5: apps.web.env.A: 1.5 (expected: a string, an integer or a boolean)",
            "berth.toml:5: apps.web.env.1X: invalid variable name \"1X\" (expected: letters,"
                + " digits and \"_\", not starting with a digit)",
            "berth.toml:5: apps.web.env.B: an array (expected: a string, an integer or a boolean)");
    assertThat(problems(LISTENER + "[apps.web]\ncommand = \"x\"\nenv = \"A=1\"\n"))
        .singleElement()
        .asString()
        .startsWith("berth.toml:5: apps.web.env: \"A=1\" (expected: a table");
  }

  @Test
  void badApps() {
    assertThat(
            problems(
                LISTENER
                    + """
                    [apps.Web]
                    command = "x"
                    [apps.ok]
                    command = "  "
                    dir = "nowhere"
                    [apps.date]
                    command = 1979-05-27
                    """))
        .containsExactly(
            "berth.toml:3: apps.Web: invalid app name \"Web\" (expected: 1 to 40 lower-case"
                + " letters, digits, \"_\" or \"-\", starting with a letter or digit)",
            "berth.toml:6: apps.ok.command: \"  \" (expected: a non-blank command line)",
            "berth.toml:7: apps.ok.dir: \"nowhere\" (expected: an existing directory; "
                + dir.toAbsolutePath().resolve("nowhere")
                + " does not exist)",
            "berth.toml:9: apps.date.command: 1979-05-27 (expected: a non-blank command line)");
    assertThat(problems("apps = { web = \"x\" }\n" + LISTENER))
        .containsExactly("berth.toml:1: apps.web: \"x\" (expected: a table like [apps.web])");
  }

  @Test
  void keyAfterMultiLineStringsAndArraysHasTheRightLine() {
    assertThat(
            problems(
                """
                [[listeners]]
                address = ":8080"
                [apps.web]
                command = \"""
                  gunicorn
                  # not a comment
                  instances = 3
                \"""
                bogus = [
                  "a", # ]
                  'b',
                ]
                instances = 0
                """))
        .containsExactly(
            "berth.toml:9: apps.web.bogus: unknown key (expected one of: dir, command, instances,"
                + " env, socket, start_timeout, stop_timeout, balance, health_check, keepalive,"
                + " keepalive_timeout, upstreams, retries, max_restarts, restart_window, drain_timeout, procfile, processes, env_file, max_requests, max_requests_jitter, max_memory, log_rate_limit, user, build, release, keep_releases, build_timeout, release_timeout, static, error_pages)",
            "berth.toml:13: apps.web.instances: 0 (expected: an integer from 1 to 64)");
  }

  @Test
  void socketPathsMustFitSunPath() {
    String longDir = "d".repeat(100);
    String config =
        "\nstate_dir = \"" + longDir + "\"\n" + LISTENER + "[apps.web]\ncommand = \"x\"\n";

    assertThat(problems(config))
        .singleElement()
        .asString()
        .startsWith("berth.toml:2: state_dir: \"" + longDir + "\" makes the unix socket path ")
        .contains(longDir + "/run/web/web-64.1.sock")
        .endsWith("(expected: socket paths of at most 107 bytes; set a shorter state_dir)");
    // TCP apps have no socket file.
    assertThat(problems(config + "socket = \"tcp\"\n")).isEmpty();
  }

  @Test
  void routesWrittenAsAnInlineArrayKeepTheirLines() throws Exception {
    Config config =
        parse(
            """
            routes = [
              { static = "public" },
              { path = "/a", static = "app" },
            ]
            """
                + LISTENER);

    assertThat(config.routes()).extracting(Route::line).containsExactly(2, 3);
  }

  @Test
  void unusablePathIsAProblemNotACrash() {
    assertThat(problems("state_dir = \"a\\u0000b\"\n" + LISTENER))
        .singleElement()
        .asString()
        .startsWith("berth.toml:1: state_dir: \"a\\u0000b\" (expected: a directory path; ");
  }

  @Test
  void unknownTopLevelKey() {
    assertThat(problems("lsteners = 1\n" + LISTENER))
        .containsExactly("berth.toml:1: lsteners: unknown key (did you mean listeners?)");
    assertThat(problems("routing = 1\n" + LISTENER))
        .containsExactly(
            "berth.toml:1: routing: unknown key (expected one of: state_dir, shutdown_timeout,"
                + " edge, access_log, listeners, tls, apps, routes)");
  }

  @Test
  void missingFileCannotBeRead() {
    ConfigException e =
        catchThrowableOfType(
            ConfigException.class, () -> ConfigLoader.load(dir.resolve("nope.toml")));

    assertThat(e.problems()).containsExactly("nope.toml: cannot read: no such file");
  }

  // ---- [edge] ----

  private static final String SIZE =
      "(expected: a size like \"8k\", \"10m\", \"1g\" or a number of bytes)";
  private static final String PROXIES =
      "(expected: a list of addresses or CIDR blocks, and \"unix:\" for unix-socket peers, like"
          + " [\"127.0.0.1\", \"10.0.0.0/8\", \"unix:\"]";
  private static final String ONLY_APP = "(expected: only on a route with app = ...)";
  private static final String ONLY_STATIC = "(expected: only on a route with static = ...)";

  @Test
  void edgeWithEveryKey() throws Exception {
    Config config =
        parse(
            LISTENER
                + """
                [edge]
                max_header_size = "16k"
                max_uri_length = 4096
                client_header_timeout = "5s"
                keepalive_timeout = "2m"
                max_connections = 500
                trusted_proxies = ["10.0.0.0/8", "192.168.1.1", "fd00::/8", "::1"]
                forwarded_header = true
                threads = 3
                transport = "epoll"
                max_body_size = "1g"
                upstream_connect_timeout = "500ms"
                upstream_response_timeout = 120
                """);

    assertThat(config.edge())
        .isEqualTo(
            new EdgeSettings(
                16 * 1024,
                4096,
                Duration.ofSeconds(5),
                Duration.ofMinutes(2),
                500,
                TrustedProxies.of(
                    List.of(
                        Cidr.parse("10.0.0.0/8"),
                        Cidr.parse("192.168.1.1/32"),
                        Cidr.parse("fd00::/8"),
                        Cidr.parse("::1/128"))),
                true,
                new RouteLimits(1L << 30, Duration.ofMillis(500), Duration.ofSeconds(120)),
                3,
                IoTransport.EPOLL));
  }

  @Test
  void edgeDefaults() throws Exception {
    EdgeSettings standard =
        new EdgeSettings(
            8192,
            8192,
            Duration.ofSeconds(20),
            Duration.ofSeconds(75),
            10_000,
            TrustedProxies.NONE,
            false,
            new RouteLimits(10L << 20, Duration.ofSeconds(5), Duration.ofSeconds(60)),
            0,
            IoTransport.AUTO);

    assertThat(EdgeSettings.standard()).isEqualTo(standard);
    assertThat(parse(LISTENER).edge()).isEqualTo(standard);
    assertThat(parse(LISTENER + "[edge]\n").edge()).isEqualTo(standard);
    // Keys not set keep their defaults.
    assertThat(parse(LISTENER + "[edge]\nmax_connections = 3\n").edge())
        .isEqualTo(
            new EdgeSettings(
                8192,
                8192,
                Duration.ofSeconds(20),
                Duration.ofSeconds(75),
                3,
                TrustedProxies.NONE,
                false,
                RouteLimits.standard(),
                0,
                IoTransport.AUTO));
    assertThat(parse(LISTENER + "[edge]\nthreads = \"auto\"\ntransport = \"auto\"\n").edge())
        .isEqualTo(standard);
  }

  @ParameterizedTest
  @CsvSource({
    "'\"8k\"', 8192",
    "'\"8K\"', 8192",
    "'\"10m\"', 10485760",
    "'\"10M\"', 10485760",
    "'\"1g\"', 1073741824",
    "'\"512\"', 512",
    "'\"0\"', 0",
    "0, 0",
    "12345, 12345",
    // (Not 19 digits: jackson-dataformat-toml 2.21.3 drops their leading digits, issue #663.)
    "999999999999999999, 999999999999999999",
    // The largest number of gigabytes that fits in a long.
    "'\"8589934591g\"', 9223372035781033984",
  })
  void sizes(String toml, long bytes) throws Exception {
    assertThat(
            parse(LISTENER + "[edge]\nmax_body_size = " + toml + "\n")
                .edge()
                .routeDefaults()
                .maxBodySize())
        .isEqualTo(bytes);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "\"10 mb\"",
        "\"10mb\"",
        "\"1t\"",
        "-1",
        "\"-1\"",
        "\"\"",
        "\"k\"",
        "\"1.5m\"",
        "1.5",
        "true",
        "[1]",
        "9223372036854775808",
        "\"9999999999999\"",
        // 2^34 + 1 gigabytes: past a long, must not wrap around to 1g.
        "\"17179869185g\"",
        "\"8589934592g\""
      })
  void badSizes(String toml) {
    String shown = toml.equals("[1]") ? "an array" : toml;
    assertThat(problems(LISTENER + "[edge]\nmax_body_size = " + toml + "\n"))
        .containsExactly("berth.toml:4: edge.max_body_size: " + shown + " " + SIZE);
  }

  @Test
  void headerAndUriSizesHaveARange() throws Exception {
    String edge = LISTENER + "[edge]\n";
    String header =
        " (expected: a size like \"8k\", \"10m\", \"1g\" or a number of bytes, from 1024 to 1048576"
            + " bytes)";
    String uri =
        " (expected: a size like \"8k\", \"10m\", \"1g\" or a number of bytes, from 256 to 1048576"
            + " bytes)";

    assertThat(parse(edge + "max_header_size = \"1k\"\n").edge().maxHeaderSize()).isEqualTo(1024);
    assertThat(parse(edge + "max_header_size = \"1m\"\n").edge().maxHeaderSize())
        .isEqualTo(1 << 20);
    assertThat(parse(edge + "max_uri_length = 256\n").edge().maxUriLength()).isEqualTo(256);
    assertThat(problems(edge + "max_header_size = 1023\n"))
        .containsExactly("berth.toml:4: edge.max_header_size: 1023" + header);
    assertThat(problems(edge + "max_header_size = \"1025k\"\n"))
        .containsExactly("berth.toml:4: edge.max_header_size: \"1025k\"" + header);
    assertThat(problems(edge + "max_header_size = \"1g\"\n"))
        .containsExactly("berth.toml:4: edge.max_header_size: \"1g\"" + header);
    assertThat(problems(edge + "max_header_size = \"8 k\"\n"))
        .containsExactly("berth.toml:4: edge.max_header_size: \"8 k\"" + header);
    assertThat(problems(edge + "max_uri_length = 255\n"))
        .containsExactly("berth.toml:4: edge.max_uri_length: 255" + uri);
  }

  @Test
  void badEdgeValuesInLineOrder() {
    assertThat(
            problems(
                LISTENER
                    + """
                    [edge]
                    client_header_timeout = "0s"
                    keepalive_timeout = "forever"
                    max_connections = 0
                    forwarded_header = "yes"
                    max_conections = 10
                    upstream_connect_timeout = -5
                    upstream_response_timeout = "25h"
                    threads = 0
                    transport = "kqueue"
                    """))
        .containsExactly(
            "berth.toml:4: edge.client_header_timeout: \"0s\" (expected: a duration more than 0 and"
                + " at most 24h)",
            "berth.toml:5: edge.keepalive_timeout: \"forever\" (expected: a duration like \"30s\","
                + " \"500ms\" or \"2m\")",
            "berth.toml:6: edge.max_connections: 0 (expected: an integer from 1 to 1000000)",
            "berth.toml:7: edge.forwarded_header: \"yes\" (expected: true or false)",
            "berth.toml:8: edge.max_conections: unknown key (did you mean max_connections?)",
            "berth.toml:9: edge.upstream_connect_timeout: -5 (expected: a duration more than 0 and"
                + " at most 24h)",
            "berth.toml:10: edge.upstream_response_timeout: \"25h\" (expected: a duration more than"
                + " 0 and at most 24h)",
            "berth.toml:11: edge.threads: 0 (expected: \"auto\" or an integer from 1 to 256)",
            "berth.toml:12: edge.transport: \"kqueue\" (expected: \"auto\", \"io_uring\", \"epoll\" or"
                + " \"nio\")");
    assertThat(problems("edge = 1\n" + LISTENER))
        .containsExactly("berth.toml:1: edge: 1 (expected: an [edge] table)");
  }

  @Test
  void trustedProxies() throws Exception {
    Config config =
        parse(
            LISTENER
                + """
                [edge]
                trusted_proxies = [
                  "10.0.0.0/8",
                  "172.16.0.0/12",
                  "127.0.0.1",
                  "::1",
                  "2001:db8::/32",
                  "fe80::1/128",
                ]
                """);

    assertThat(config.edge().trustedProxies().unix()).isFalse();
    assertThat(config.edge().trustedProxies().blocks())
        .containsExactly(
            new Cidr(new byte[] {10, 0, 0, 0}, 8),
            new Cidr(new byte[] {(byte) 172, 16, 0, 0}, 12),
            new Cidr(new byte[] {127, 0, 0, 1}, 32),
            Cidr.parse("0:0:0:0:0:0:0:1/128"),
            Cidr.parse("2001:db8:0:0:0:0:0:0/32"),
            Cidr.parse("fe80:0:0:0:0:0:0:1/128"));
    assertThat(parse(LISTENER + "[edge]\ntrusted_proxies = []\n").edge().trustedProxies())
        .isEqualTo(TrustedProxies.NONE);
  }

  @Test
  void badTrustedProxies() {
    String edge = LISTENER + "[edge]\ntrusted_proxies = ";

    assertThat(problems(edge + "[\"10.0.0.0/8\", \"10.0.0.0/33\"]\n"))
        .containsExactly(
            "berth.toml:4: edge.trusted_proxies: an array "
                + PROXIES
                + "; \"10.0.0.0/33\": prefix length must be 0..32)");
    assertThat(problems(edge + "[\"example.com\"]\n"))
        .containsExactly(
            "berth.toml:4: edge.trusted_proxies: an array "
                + PROXIES
                + "; \"example.com\": not an IP address: example.com)");
    assertThat(problems(edge + "[\"::1/129\"]\n"))
        .containsExactly(
            "berth.toml:4: edge.trusted_proxies: an array "
                + PROXIES
                + "; \"::1/129\": prefix length must be 0..128)");
    assertThat(problems(edge + "[\"10/8\"]\n"))
        .containsExactly(
            "berth.toml:4: edge.trusted_proxies: an array "
                + PROXIES
                + "; \"10/8\": not an IP address: 10)");
    assertThat(problems(edge + "\"10.0.0.0/8\"\n"))
        .containsExactly("berth.toml:4: edge.trusted_proxies: \"10.0.0.0/8\" " + PROXIES + ")");
    assertThat(problems(edge + "[10]\n"))
        .containsExactly("berth.toml:4: edge.trusted_proxies: an array " + PROXIES + ")");
    assertThat(problems(edge + "{ a = \"10.0.0.0/8\" }\n"))
        .containsExactly("berth.toml:4: edge.trusted_proxies: a table " + PROXIES + ")");
  }

  // ---- per-route limits and static options ----

  @Test
  void routeLimitsOverrideEdgeDefaultsAndInheritTheRest() throws Exception {
    Config config =
        parse(
            LISTENER
                + """
                [edge]
                max_body_size = "1m"
                upstream_connect_timeout = "2s"
                [apps.web]
                command = "x"
                [[routes]]
                path = "/upload"
                app = "web"
                max_body_size = "100m"
                upstream_response_timeout = "5m"
                [[routes]]
                path = "/slow"
                app = "web"
                upstream_connect_timeout = 1
                [[routes]]
                app = "web"
                [[routes]]
                path = "/s"
                static = "public"
                """);

    RouteLimits edge = new RouteLimits(1 << 20, Duration.ofSeconds(2), Duration.ofSeconds(60));
    assertThat(config.edge().routeDefaults()).isEqualTo(edge);
    assertThat(config.routes())
        .extracting(Route::limits)
        .containsExactly(
            new RouteLimits(100 << 20, Duration.ofSeconds(2), Duration.ofMinutes(5)),
            new RouteLimits(1 << 20, Duration.ofSeconds(1), Duration.ofSeconds(60)),
            edge,
            edge);
    // Without [edge], routes inherit the standard limits.
    assertThat(
            parse(
                    LISTENER
                        + "[apps.web]\ncommand = \"x\"\n[[routes]]\napp = \"web\"\nmax_body_size = 0\n")
                .routes())
        .extracting(Route::limits)
        .containsExactly(new RouteLimits(0, Duration.ofSeconds(5), Duration.ofSeconds(60)));
  }

  @Test
  void badRouteLimits() {
    assertThat(
            problems(
                LISTENER
                    + """
                    [apps.web]
                    command = "x"
                    [[routes]]
                    app = "web"
                    max_body_size = "10 mb"
                    upstream_connect_timeout = "0ms"
                    upstream_response_timeout = true
                    """))
        .containsExactly(
            "berth.toml:7: routes[0].max_body_size: \"10 mb\" " + SIZE,
            "berth.toml:8: routes[0].upstream_connect_timeout: \"0ms\" (expected: a duration more"
                + " than 0 and at most 24h)",
            "berth.toml:9: routes[0].upstream_response_timeout: true (expected: a duration like"
                + " \"30s\", \"500ms\" or \"2m\")");
  }

  @Test
  void appKeysOnAStaticRouteAreRejected() {
    assertThat(
            problems(
                LISTENER
                    + """
                    [[routes]]
                    static = "public"
                    max_body_size = "1m"
                    upstream_connect_timeout = "1s"
                    upstream_response_timeout = 30
                    strip_prefix = false
                    """))
        .containsExactly(
            "berth.toml:5: routes[0].max_body_size: \"1m\" " + ONLY_APP,
            "berth.toml:6: routes[0].upstream_connect_timeout: \"1s\" " + ONLY_APP,
            "berth.toml:7: routes[0].upstream_response_timeout: 30 " + ONLY_APP,
            "berth.toml:8: routes[0].strip_prefix: false " + ONLY_APP);
  }

  @Test
  void staticKeysOnAnAppRouteAreRejected() {
    assertThat(
            problems(
                LISTENER
                    + """
                    [apps.web]
                    command = "x"
                    [[routes]]
                    app = "web"
                    cache_control = "no-cache"
                    gzip = false
                    follow_symlinks = true
                    """))
        .containsExactly(
            "berth.toml:7: routes[0].cache_control: \"no-cache\" " + ONLY_STATIC,
            "berth.toml:8: routes[0].gzip: false " + ONLY_STATIC,
            "berth.toml:9: routes[0].follow_symlinks: true " + ONLY_STATIC);
  }

  @Test
  void staticOptions() throws Exception {
    Config config =
        parse(
            LISTENER
                + """
                [[routes]]
                path = "/a"
                static = "public"
                cache_control = "public, max-age=3600"
                gzip = false
                follow_symlinks = true
                [[routes]]
                path = "/b"
                static = "public"
                """);

    Path root = dir.toRealPath().resolve("public");
    assertThat(config.routes())
        .extracting(Route::target)
        .containsExactly(
            new StaticTarget(root, "public, max-age=3600", false, true),
            new StaticTarget(root, "", true, false));
  }

  @Test
  void badStaticOptions() {
    String cacheControl = "(expected: a Cache-Control value like \"public, max-age=3600\")";
    assertThat(
            problems(
                LISTENER
                    + """
                    [[routes]]
                    path = "/a"
                    static = "public"
                    cache_control = ""
                    gzip = "yes"
                    follow_symlinks = 1
                    [[routes]]
                    path = "/b"
                    static = "public"
                    cache_control = "max-age=1\\r\\nX-Evil: 1"
                    [[routes]]
                    path = "/c"
                    static = "public"
                    cache_control = 3600
                    """))
        .containsExactly(
            "berth.toml:6: routes[0].cache_control: \"\" " + cacheControl,
            "berth.toml:7: routes[0].gzip: \"yes\" (expected: true or false)",
            "berth.toml:8: routes[0].follow_symlinks: 1 (expected: true or false)",
            "berth.toml:12: routes[1].cache_control: \"max-age=1\\u000D\\nX-Evil: 1\" "
                + cacheControl,
            "berth.toml:16: routes[2].cache_control: 3600 " + cacheControl);
  }

  // ---- access logs ----

  @Test
  void accessLogDefaults() throws Exception {
    assertThat(parse(LISTENER).accessLog())
        .isEqualTo(
            new AccessLogSpec(
                true, defaultStateDir().resolve("log/access.log"), AccessLogSpec.Format.COMBINED));
    assertThat(parse("state_dir = \"var\"\n" + LISTENER).accessLog())
        .isEqualTo(
            new AccessLogSpec(
                true,
                dir.toAbsolutePath().resolve("var/log/access.log"),
                AccessLogSpec.Format.COMBINED));
    assertThat(parse(LISTENER + "[access_log]\nformat = \"combined\"\n").accessLog())
        .isEqualTo(parse(LISTENER).accessLog());
  }

  @Test
  void globalAccessLog() throws Exception {
    Config config =
        parse(
            LISTENER
                + """
                [access_log]
                enabled = false
                path = "logs/../logs/access.json"
                format = "json"
                """);

    assertThat(config.accessLog())
        .isEqualTo(
            new AccessLogSpec(
                false,
                dir.toAbsolutePath().resolve("logs/access.json"),
                AccessLogSpec.Format.JSON));
    assertThat(parse(LISTENER + "[access_log]\npath = \"/var/log/berth.log\"\n").accessLog().path())
        .isEqualTo(Path.of("/var/log/berth.log"));
  }

  @Test
  void badGlobalAccessLog() {
    assertThat(
            problems(
                LISTENER
                    + """
                    [access_log]
                    enabled = "no"
                    path = " "
                    format = "common"
                    level = "info"
                    """))
        .containsExactly(
            "berth.toml:4: access_log.enabled: \"no\" (expected: true or false)",
            "berth.toml:5: access_log.path: \" \" (expected: a file path)",
            "berth.toml:6: access_log.format: \"common\" (expected: \"combined\" or \"json\")",
            "berth.toml:7: access_log.level: unknown key (expected one of: enabled, path, format)");
    assertThat(problems("access_log = \"access.log\"\n" + LISTENER))
        .containsExactly(
            "berth.toml:1: access_log: \"access.log\" (expected: a table like { path ="
                + " \"access.log\" })");
  }

  @Test
  void routeAccessLogInheritsTheGlobalOne() throws Exception {
    Config config =
        parse(
            LISTENER
                + """
                [access_log]
                path = "logs/all.log"
                [[routes]]
                path = "/a"
                static = "public"
                access_log = { format = "json" }
                [[routes]]
                path = "/b"
                static = "public"
                access_log = { path = "b.log", enabled = false }
                [[routes]]
                static = "public"
                """);

    Path all = dir.toAbsolutePath().resolve("logs/all.log");
    assertThat(config.accessLog())
        .isEqualTo(new AccessLogSpec(true, all, AccessLogSpec.Format.COMBINED));
    assertThat(config.routes())
        .extracting(Route::accessLog)
        .containsExactly(
            new AccessLogSpec(true, all, AccessLogSpec.Format.JSON),
            new AccessLogSpec(
                false, dir.toAbsolutePath().resolve("b.log"), AccessLogSpec.Format.COMBINED),
            config.accessLog());
  }

  @Test
  void badRouteAccessLog() {
    assertThat(
            problems(
                LISTENER
                    + """
                    [[routes]]
                    path = "/a"
                    static = "public"
                    access_log = { format = "xml", rotate = true }
                    [[routes]]
                    path = "/b"
                    static = "public"
                    access_log = true
                    """))
        .containsExactly(
            "berth.toml:6: routes[0].access_log.rotate: unknown key (expected one of: enabled,"
                + " path, format)",
            "berth.toml:6: routes[0].access_log.format: \"xml\" (expected: \"combined\" or"
                + " \"json\")",
            "berth.toml:10: routes[1].access_log: true (expected: a table like { path ="
                + " \"access.log\" })");
  }

  // ---- app balance, health checks, upstream keepalive ----

  @Test
  void appEdgeSettings() throws Exception {
    Config config =
        parse(
            LISTENER
                + """
                [apps.web]
                command = "x"
                balance = "least_conn"
                health_check = { path = "/healthz" }
                keepalive = 0
                keepalive_timeout = "90s"

                [apps.api]
                command = "y"
                balance = "round_robin"
                keepalive = 1024
                [apps.api.health_check]
                path = "/ping?full=1"
                interval = "30s"
                timeout = "500ms"
                """);

    assertThat(config.apps().get("web"))
        .isEqualTo(
            new App(
                "web",
                new App.Run(
                    dir.toRealPath(),
                    "x",
                    1,
                    Map.of(),
                    SocketKind.UNIX,
                    Duration.ofSeconds(30),
                    Duration.ofSeconds(10),
                    new App.Restarts(5, Duration.ofSeconds(60)),
                    Duration.ofSeconds(30),
                    List.of(),
                    null,
                    App.Recycle.NONE,
                    null,
                    App.DEFAULT_LOG_RATE_LIMIT),
                new App.Backend(
                    App.Balance.LEAST_CONN,
                    new App.HealthCheck("/healthz", Duration.ofSeconds(10), Duration.ofSeconds(2)),
                    0,
                    Duration.ofSeconds(90),
                    1,
                    List.of()),
                App.Deploy.NONE,
                Map.of()));
    App api = config.apps().get("api");
    assertThat(api.backend().balance()).isEqualTo(App.Balance.ROUND_ROBIN);
    assertThat(api.backend().healthCheck())
        .isEqualTo(
            new App.HealthCheck("/ping?full=1", Duration.ofSeconds(30), Duration.ofMillis(500)));
    assertThat(api.backend().keepalive()).isEqualTo(1024);
    assertThat(api.backend().keepaliveTimeout()).isEqualTo(Duration.ofSeconds(60));
  }

  @Test
  void badBalanceAndKeepalive() {
    String app = LISTENER + "[apps.web]\ncommand = \"x\"\n";
    String keepalive = " (expected: an integer from 0 to 1024)";

    assertThat(problems(app + "balance = \"random\"\n"))
        .containsExactly(
            "berth.toml:5: apps.web.balance: \"random\" (expected: \"round_robin\" or"
                + " \"least_conn\")");
    assertThat(problems(app + "balance = \"ROUND_ROBIN\"\n"))
        .containsExactly(
            "berth.toml:5: apps.web.balance: \"ROUND_ROBIN\" (expected: \"round_robin\" or"
                + " \"least_conn\")");
    assertThat(problems(app + "balance = 1\n"))
        .containsExactly(
            "berth.toml:5: apps.web.balance: 1 (expected: \"round_robin\" or \"least_conn\")");
    assertThat(problems(app + "keepalive = 1025\n"))
        .containsExactly("berth.toml:5: apps.web.keepalive: 1025" + keepalive);
    assertThat(problems(app + "keepalive = -1\n"))
        .containsExactly("berth.toml:5: apps.web.keepalive: -1" + keepalive);
    assertThat(problems(app + "keepalive = \"8\"\n"))
        .containsExactly("berth.toml:5: apps.web.keepalive: \"8\"" + keepalive);
    assertThat(problems(app + "keepalive_timeout = \"0s\"\n"))
        .containsExactly(
            "berth.toml:5: apps.web.keepalive_timeout: \"0s\" (expected: a duration more than 0"
                + " and at most 24h)");
    assertThat(problems(app + "keepalive_timeout = \"1 min\"\n"))
        .containsExactly(
            "berth.toml:5: apps.web.keepalive_timeout: \"1 min\" (expected: a duration like"
                + " \"30s\", \"500ms\" or \"2m\")");
  }

  @Test
  void probesKnowTheHostAndPrefixOfTheAppsRoutes() throws Exception {
    Config config =
        parse(
            LISTENER
                + """
                [apps.blog]
                command = "x"
                health_check = { path = "/health", host = "Internal.Example.com" }
                [apps.shop]
                command = "y"
                [apps.bare]
                command = "z"

                [[routes]]
                path = "/blog"
                app = "blog"
                [[routes]]
                host = "*.shop.example"
                path = "/shop"
                app = "shop"
                strip_prefix = true
                [[routes]]
                host = "www.shop.example"
                app = "shop"
                """);
    App blog = config.apps().get("blog");
    assertThat(blog.backend().healthCheck().host()).isEqualTo("internal.example.com");
    assertThat(blog.backend().mount()).isEqualTo(new App.Mount(null, "/blog", false));
    assertThat(config.apps().get("shop").backend().mount())
        .isEqualTo(new App.Mount("www.shop.example", "/shop", true));
    assertThat(config.apps().get("bare").backend().mount()).isEqualTo(App.Mount.ROOT);
  }

  @Test
  void badHealthCheckHosts() {
    String expected =
        " (expected: a host name like \"example.com\", without scheme, port or wildcard)";
    String app = LISTENER + "[apps.web]\ncommand = \"x\"\n";
    assertThat(problems(app + "health_check = { path = \"/\", host = \"*.example.com\" }\n"))
        .containsExactly("berth.toml:5: apps.web.health_check.host: \"*.example.com\"" + expected);
    assertThat(problems(app + "health_check = { path = \"/\", host = \"http://a.b\" }\n"))
        .containsExactly("berth.toml:5: apps.web.health_check.host: \"http://a.b\"" + expected);
    assertThat(problems(app + "health_check = { path = \"/\", host = \"*\" }\n"))
        .containsExactly("berth.toml:5: apps.web.health_check.host: \"*\"" + expected);
  }

  @Test
  void badHealthChecks() {
    String path = "(expected: an absolute path like \"/health\")";
    assertThat(
            problems(
                LISTENER
                    + """
                    [apps.web]
                    command = "x"
                    health_check = { interval = "5s" }
                    [apps.api]
                    command = "y"
                    health_check = { path = "health", intervl = "5s" }
                    [apps.db]
                    command = "z"
                    [apps.db.health_check]
                    path = "/h"
                    timout = "1s"
                    interval = "0s"
                    [apps.x]
                    command = "w"
                    health_check = "/health"
                    [apps.y]
                    command = "v"
                    health_check = { path = "/a b", timeout = "2" }
                    """))
        .containsExactly(
            "berth.toml:5: apps.web.health_check.path: missing " + path,
            "berth.toml:8: apps.api.health_check.intervl: unknown key (did you mean interval?)",
            "berth.toml:8: apps.api.health_check.path: \"health\" " + path,
            "berth.toml:13: apps.db.health_check.timout: unknown key (did you mean timeout?)",
            "berth.toml:14: apps.db.health_check.interval: \"0s\" (expected: a duration more than 0"
                + " and at most 24h)",
            "berth.toml:17: apps.x.health_check: \"/health\" (expected: a table like { path ="
                + " \"/health\" })",
            "berth.toml:20: apps.y.health_check.path: \"/a b\" " + path,
            "berth.toml:20: apps.y.health_check.timeout: \"2\" (expected: a duration like \"30s\","
                + " \"500ms\" or \"2m\")");
  }

  @Test
  void everyProblemWithTheNewKeysNamesFileLineAndWhatWasExpected() {
    List<String> problems =
        problems(
            LISTENER
                + """
                [edge]
                max_header_size = "1t"
                max_uri_length = -1
                client_header_timeout = 0
                keepalive_timeout = "x"
                max_connections = 1.5
                trusted_proxies = ["10.0.0.0/33"]
                forwarded_header = 1
                max_body_size = "10 mb"
                upstream_connect_timeout = "1 s"
                upstream_response_timeout = "48h"
                extra = 1
                [access_log]
                enabled = 1
                path = ""
                format = "xml"
                [apps.web]
                command = "x"
                balance = "fastest"
                keepalive = 2000
                keepalive_timeout = "-1s"
                health_check = { path = "h", interval = "0s", timeout = [], bogus = 1 }
                [[routes]]
                app = "web"
                max_body_size = true
                gzip = true
                access_log = { format = 1, enabled = "yes", path = 2 }
                [[routes]]
                path = "/s"
                static = "public"
                cache_control = ""
                follow_symlinks = "no"
                upstream_response_timeout = "1s"
                """);

    assertThat(problems).hasSize(29);
    assertThat(problems)
        .allSatisfy(
            p ->
                assertThat(p)
                    .matches(
                        "berth\\.toml:[0-9]+: [a-z_.\\[\\]0-9]+: .* \\(expected( one of)?: .+\\)"));
  }

  @Test
  void appsBerthDoesNotRunAreGivenByTheirUpstreams() throws Exception {
    Config config =
        parse(
            LISTENER
                + """

                [apps.legacy]
                upstreams = ["127.0.0.1:9000", "[::1]:9001", "unix:/run/legacy.sock"]
                balance = "least_conn"
                """);
    App legacy = config.apps().get("legacy");
    assertThat(legacy.external()).isTrue();
    assertThat(legacy.run().command()).isEmpty();
    assertThat(legacy.backend().upstreams())
        .containsExactly(
            new UpstreamAddress.Tcp("127.0.0.1", 9000),
            new UpstreamAddress.Tcp("::1", 9001),
            new UpstreamAddress.Unix(Path.of("/run/legacy.sock")));
  }

  @Test
  void badUpstreams() {
    assertThat(
            problems(
                LISTENER
                    + """

                    [apps.a]
                    upstreams = []

                    [apps.b]
                    upstreams = ["unix:relative.sock"]

                    [apps.c]
                    upstreams = [":9000"]

                    [apps.d]
                    upstreams = ["127.0.0.1:9000"]
                    command = "gunicorn app:app"
                    """))
        .containsExactly(
            "berth.toml:5: apps.a.upstreams: [] (expected: a list of addresses like [\"127.0.0.1:9000\","
                + " \"unix:/run/app.sock\"])",
            "berth.toml:8: apps.b.upstreams: an array (expected: a list of addresses like [\"127.0.0.1:9000\","
                + " \"unix:/run/app.sock\"]; \"unix:relative.sock\" is not an absolute path)",
            "berth.toml:11: apps.c.upstreams: an array (expected: a list of addresses like [\"127.0.0.1:9000\","
                + " \"unix:/run/app.sock\"]; \":9000\" has no host)",
            "berth.toml:15: apps.d.command: \"gunicorn app:app\" (expected: no command for an app given by its"
                + " upstreams; berth does not run it)");
  }

  private Config parse(String toml) throws ConfigException {
    return ConfigLoader.parse(file, toml);
  }

  private List<String> problems(String toml) {
    try {
      ConfigLoader.parse(file, toml);
      return List.of();
    } catch (ConfigException e) {
      assertThat(e.getMessage()).isEqualTo(String.join("\n", e.problems()));
      return e.problems();
    }
  }
}
