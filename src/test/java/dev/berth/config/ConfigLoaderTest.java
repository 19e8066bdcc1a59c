package dev.berth.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.berth.config.App.SocketKind;
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
                realDir.resolve("app"),
                "gunicorn app:app",
                3,
                Map.of("DEBUG", "false", "WORKERS", "2", "NAME", "x y"),
                SocketKind.TCP,
                Duration.ofMillis(500),
                Duration.ofSeconds(20),
                App.Balance.ROUND_ROBIN,
                null,
                32,
                Duration.ofSeconds(60),
                List.of()));
    assertThat(config.apps().get("blog"))
        .isEqualTo(
            new App(
                "blog",
                realDir,
                "python -m blog",
                1,
                Map.of(),
                SocketKind.UNIX,
                Duration.ofSeconds(30),
                Duration.ofSeconds(10),
                App.Balance.ROUND_ROBIN,
                null,
                32,
                Duration.ofSeconds(60),
                List.of()));
    RouteLimits limits = RouteLimits.standard();
    AccessLogSpec log =
        new AccessLogSpec(true, dir.toAbsolutePath().resolve("state/log/access.log"), AccessLogSpec.Format.COMBINED);
    assertThat(config.edge()).isEqualTo(EdgeSettings.standard());
    assertThat(config.accessLog()).isEqualTo(log);
    assertThat(config.routes())
        .containsExactly(
            new Route("example.com", "/blog", new AppTarget("blog"), true, limits, log, 22),
            new Route(
                "*.example.com", "/", new StaticTarget(realDir.resolve("public"), "", true, false), false, limits, log, 28),
            new Route("", "/", new AppTarget("web"), false, limits, log, 32));
  }

  @Test
  void appliesTopLevelDefaults() throws Exception {
    Config config = parse(LISTENER);

    assertThat(config.stateDir()).isEqualTo(dir.toAbsolutePath().resolve(".berth"));
    assertThat(config.runDir()).isEqualTo(dir.toAbsolutePath().resolve(".berth/run"));
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
                    instanses = 2
                    """))
        .containsExactly(
            "berth.toml:6: apps.web.instanses: unknown key (expected one of: dir, command,"
                + " instances, env, socket, start_timeout, stop_timeout, balance, health_check, keepalive,"
                + " keepalive_timeout, upstreams)");
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
    assertThat(problems("a = 1\nb = = 2\n")).containsExactly("berth.toml:2:5: Unknown token");
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
            "berth.toml:1: apps.web.command: missing (expected: a non-blank command line)",
            "berth.toml:2: apps.web.instances: 0 (expected: an integer from 1 to 64)",
            "berth.toml:3: apps.web.socket: \"udp\" (expected: \"unix\" or \"tcp\")",
            "berth.toml:6: routes[0].app: \"nope\" (expected: one of the apps: web)");
  }

  @Test
  void missingRequiredKeyPointsAtItsTable() {
    assertThat(problems(LISTENER + "\n\n[apps.web]\ndir = \"app\"\n"))
        .containsExactly(
            "berth.toml:5: apps.web.command: missing (expected: a non-blank command line)");
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
      strings = {"", "http://example.com", "example.com:80", "a.*.com", "*example.com", "ex ample",
        "example.com/", "-a.com", "300.1.1.1", "*.*"})
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
                + " \"<app name>\" or static = \"<directory>\")",
            "berth.toml:14: routes[2]: neither app nor static (expected: exactly one of app ="
                + " \"<app name>\" or static = \"<directory>\")",
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
      strings = {"8080", "localhost", ":0", ":65536", "::1:8080", "[zz]:80", "[::1]", "host:abc",
        "a b:80", "http://x:80", ":+80"})
  void badListenerAddresses(String address) {
    assertThat(problems("[[listeners]]\naddress = \"" + address + "\"\n"))
        .containsExactly(
            "berth.toml:2: listeners[0].address: \""
                + address
                + "\" (expected: \"host:port\" like \"127.0.0.1:8080\", \":8080\" (all"
                + " interfaces) or \"[::1]:8080\", with a port from 1 to 65535)");
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
  @CsvSource({"'\"500ms\"', PT0.5S", "'\"30s\"', PT30S", "'\"2m\"', PT2M", "'\"24h\"', PT24H",
    "45, PT45S"})
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
    assertThat(inline.apps().get("web").env()).isEqualTo(expected);
    assertThat(table.apps().get("web").env()).isEqualTo(expected);
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
                + " keepalive_timeout, upstreams)",
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
        .contains(longDir + "/run/web-1.sock")
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
        .containsExactly(
            "berth.toml:1: lsteners: unknown key (expected one of: state_dir, shutdown_timeout,"
                + " edge, access_log, listeners, apps, routes)");
  }

  @Test
  void missingFileCannotBeRead() {
    ConfigException e =
        catchThrowableOfType(
            ConfigException.class, () -> ConfigLoader.load(dir.resolve("nope.toml")));

    assertThat(e.problems()).containsExactly("nope.toml: cannot read: no such file");
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
