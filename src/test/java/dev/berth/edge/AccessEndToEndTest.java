package dev.berth.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.testing.BerthProcess;
import dev.berth.testing.Cli;
import dev.berth.testing.Curl;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A route's access rules, redirect routes and an app's error pages, end to end: a real berth, a
 * users file made by berth passwd, gunicorn behind it, and curl in front.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AccessEndToEndTest {

  private Path tmp;
  private Path config;
  private BerthProcess berth;
  private String base;

  /** An upstream that takes connections (the kernel's backlog) and never answers. */
  private ServerSocket silent;

  @BeforeAll
  void startBerth(@TempDir Path tmp) throws Exception {
    this.tmp = tmp;
    Path site = Files.createDirectories(tmp.resolve("site"));
    Files.writeString(site.resolve("index.html"), "<p>the site</p>\n");
    Files.createDirectories(tmp.resolve("pages"));
    Files.writeString(tmp.resolve("pages/502.html"), "<h1>We are back soon</h1>\n");
    Files.writeString(tmp.resolve("pages/504.html"), "<h1>Too slow today</h1>\n");
    passwd(tmp.resolve("staging.htpasswd"), "alice", "wonder land");
    passwd(tmp.resolve("staging.htpasswd"), "erin", "posts only");
    assertThat(
            PosixFilePermissions.toString(
                Files.getPosixFilePermissions(tmp.resolve("staging.htpasswd"))))
        .isEqualTo("rw-------");
    int closed = BerthProcess.freePort();
    silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    config = tmp.resolve("berth.toml");
    berth =
        BerthProcess.upOnFreePort(
            port -> {
              base = "http://127.0.0.1:" + port;
              return BerthProcess.write(
                  config,
                  """
                  state_dir = "%1$s/state"
                  shutdown_timeout = "5s"

                  [[listeners]]
                  address = "127.0.0.1:%2$d"

                  [apps.web]
                  user = "root"
                  dir = "%3$s"
                  command = "gunicorn --workers 1 --threads 4 wsgi:app"
                  error_pages = { 502 = "pages/502.html" }

                  [apps.gone]
                  upstreams = ["127.0.0.1:%4$d"]
                  error_pages = { 502 = "pages/502.html", 504 = "pages/502.html" }

                  [[routes]]
                  host = "staging.test"
                  static = "site"
                  basic_auth = { users_file = "staging.htpasswd", realm = "Staging" }

                  [[routes]]
                  host = "app.test"
                  app = "web"
                  basic_auth = { users_file = "staging.htpasswd" }

                  [[routes]]
                  host = "admin.test"
                  static = "site"
                  allow = ["10.0.0.0/8"]

                  [[routes]]
                  host = "open.test"
                  static = "site"
                  deny = ["192.0.2.0/24"]
                  allow = ["127.0.0.0/8"]

                  [[routes]]
                  host = "limited.test"
                  static = "site"
                  rate_limit = { requests = 1, per = "24h", burst = 2 }

                  [[routes]]
                  host = "www.example.test"
                  redirect = "http://example.test{uri}"

                  [[routes]]
                  host = "old.example.test"
                  redirect = "https://{host}.new{path}"
                  redirect_code = 301

                  [[routes]]
                  host = "gone.test"
                  app = "gone"

                  [apps.silent]
                  upstreams = ["127.0.0.1:%5$d"]
                  error_pages = { 504 = "pages/504.html" }

                  [[routes]]
                  host = "silent.test"
                  app = "silent"
                  upstream_response_timeout = "1s"
                  """
                      .formatted(tmp, port, BerthProcess.testApp(), closed, silent.getLocalPort()));
            });
  }

  @AfterAll
  void stopBerth() throws IOException {
    if (berth != null) {
      berth.close();
    }
    if (silent != null) {
      silent.close();
    }
  }

  @Test
  void basicAuthAsksThenLetsTheUserIn() throws Exception {
    Curl.Response none = Curl.get(base + "/", "-H", "Host: staging.test");
    assertThat(none.status()).isEqualTo(401);
    assertThat(none.header("WWW-Authenticate"))
        .isEqualTo("Basic realm=\"Staging\", charset=\"UTF-8\"");
    assertThat(none.body()).doesNotContain("the site");

    assertThat(Curl.get(base + "/", "-H", "Host: staging.test", "-u", "alice:wrong").status())
        .isEqualTo(401);
    assertThat(Curl.get(base + "/", "-H", "Host: staging.test", "-u", "bob:wonder land").status())
        .isEqualTo(401);

    Curl.Response in = Curl.get(base + "/", "-H", "Host: staging.test", "-u", "alice:wonder land");
    assertThat(in.status()).isEqualTo(200);
    assertThat(in.body()).isEqualTo("<p>the site</p>\n");
    // Remembered now: the same again.
    assertThat(Curl.get(base + "/", "-H", "Host: staging.test", "-u", "alice:wonder land").status())
        .isEqualTo(200);
  }

  @Test
  void anAppBehindAPasswordGetsTheBodyAndTheAuthorizationField() throws Exception {
    assertThat(Curl.get(base + "/echo", "-H", "Host: app.test").status()).isEqualTo(401);
    // A POST whose body comes at once, while the password is checked (erin's first request: no
    // remembered password): the body waits, then goes to the app.
    Path body = Files.writeString(tmp.resolve("body"), "x".repeat(100_000));
    Curl.Response echo =
        Curl.get(
            base + "/echo",
            "-H",
            "Host: app.test",
            "-H",
            "Expect:",
            "-u",
            "erin:posts only",
            "--data-binary",
            "@" + body);
    assertThat(echo.status()).as(echo.body()).isEqualTo(200);
    assertThat(echo.body())
        .contains("\"body_length\":100000")
        .contains("\"authorization\":\"Basic ");
    // With Expect: 100-continue, a wrong password is answered without asking for the body.
    Curl.Response asked =
        Curl.get(
            base + "/echo",
            "-H",
            "Host: app.test",
            "-H",
            "Expect: 100-continue",
            "-u",
            "erin:wrong",
            "--data-binary",
            "@" + body);
    assertThat(asked.status()).isEqualTo(401);
  }

  @Test
  void allowAndDenyAnswer403() throws Exception {
    Curl.Response admin = Curl.get(base + "/", "-H", "Host: admin.test");
    assertThat(admin.status()).isEqualTo(403);
    assertThat(admin.body()).doesNotContain("the site");
    assertThat(Curl.get(base + "/", "-H", "Host: open.test").status()).isEqualTo(200);
  }

  @Test
  void aRateLimitAnswers429WithRetryAfter() throws Exception {
    assertThat(Curl.get(base + "/", "-H", "Host: limited.test").status()).isEqualTo(200);
    assertThat(Curl.get(base + "/", "-H", "Host: limited.test").status()).isEqualTo(200);
    Curl.Response limited = Curl.get(base + "/", "-H", "Host: limited.test");
    assertThat(limited.status()).isEqualTo(429);
    assertThat(Long.parseLong(limited.header("Retry-After"))).isBetween(1L, 86_400L);
  }

  @Test
  void redirectRoutesKeepTheRequestsUri() throws Exception {
    Curl.Response www = Curl.get(base + "/blog/post?page=2&x=y", "-H", "Host: www.example.test");
    assertThat(www.status()).isEqualTo(308);
    assertThat(www.header("Location")).isEqualTo("http://example.test/blog/post?page=2&x=y");
    Curl.Response old = Curl.get(base + "/a?b", "-H", "Host: Old.Example.test:8080");
    assertThat(old.status()).isEqualTo(301);
    assertThat(old.header("Location")).isEqualTo("https://old.example.test.new/a");
  }

  @Test
  void maintenanceAnswers503WithThePageWhileStaticRoutesServeUntilOff() throws Exception {
    Cli unknown = Cli.run(config, "maintenance", "nosuch", "on");
    assertThat(unknown.exit()).isNotZero();
    assertThat(unknown.err().strip()).isEqualTo("berth: no app \"nosuch\" run by this berth");
    Cli missing = Cli.run(config, "maintenance", "web", "on", "--page", tmp + "/none.html");
    assertThat(missing.exit()).isNotZero();
    assertThat(missing.err().strip()).endsWith("none.html: no such file");

    Path page = Files.writeString(tmp.resolve("pages/maintenance.html"), "<h1>Upgrading</h1>\n");
    try {
      Cli on = Cli.run(config, "maintenance", "web", "on", "--page", page.toString());
      assertThat(on.exit()).as(on.err()).isZero();
      Curl.Response closed =
          Curl.get(base + "/echo", "-H", "Host: app.test", "-u", "alice:wonder land");
      assertThat(closed.status()).isEqualTo(503);
      assertThat(closed.body()).isEqualTo("<h1>Upgrading</h1>\n");
      assertThat(closed.header("Retry-After")).isEqualTo("120");
      assertThat(closed.header("Cache-Control")).isEqualTo("no-store");
      assertThat(Curl.get(base + "/", "-H", "Host: open.test").status()).isEqualTo(200);

      assertThat(Cli.run(config, "status").out())
          .contains("web: in maintenance, its routes answer 503");
      JsonNode web = null;
      for (JsonNode app : Cli.status(config).path("apps")) {
        if (app.path("app").asText().equals("web")) {
          web = app;
        }
      }
      assertThat(web).isNotNull();
      assertThat(web.path("maintenance").asBoolean()).isTrue();
    } finally {
      Cli off = Cli.run(config, "maintenance", "web", "off");
      assertThat(off.exit()).as(off.err()).isZero();
    }
    assertThat(Curl.get(base + "/echo", "-H", "Host: app.test", "-u", "alice:wonder land").status())
        .isEqualTo(200);
  }

  @Test
  void anAppsErrorPagesStandInForBerthsOwn502And504ButNotForTheApps() throws Exception {
    Curl.Response gone = Curl.get(base + "/anything", "-H", "Host: gone.test");
    assertThat(gone.status()).isEqualTo(502);
    assertThat(gone.header("Content-Type")).isEqualTo("text/html");
    assertThat(gone.body()).isEqualTo("<h1>We are back soon</h1>\n");
    // JSON clients get the page too, as nginx's error_page serves it.
    assertThat(
            Curl.get(base + "/x", "-H", "Host: gone.test", "-H", "Accept: application/json").body())
        .isEqualTo("<h1>We are back soon</h1>\n");

    Curl.Response slow = Curl.get(base + "/", "-H", "Host: silent.test");
    assertThat(slow.status()).isEqualTo(504);
    assertThat(slow.body()).isEqualTo("<h1>Too slow today</h1>\n");

    Curl.Response own =
        Curl.get(base + "/status/502", "-H", "Host: app.test", "-u", "alice:wonder land");
    assertThat(own.status()).isEqualTo(502);
    assertThat(own.body()).doesNotContain("back soon");
  }

  @Test
  void aReloadReadsTheUsersFileAgainAndKeepsTheOldOneWhenTheNewIsBad() throws Exception {
    Path users = tmp.resolve("staging.htpasswd");
    String before = Files.readString(users);
    passwd(users, "carol", "new one");
    assertThat(Curl.get(base + "/", "-H", "Host: staging.test", "-u", "carol:new one").status())
        .isEqualTo(401);
    Cli reload = Cli.run(config, "reload");
    assertThat(reload.exit()).as(reload.err()).isZero();
    assertThat(reload.out()).contains("route ~ staging.test/ -> static");
    assertThat(Curl.get(base + "/", "-H", "Host: staging.test", "-u", "carol:new one").status())
        .isEqualTo(200);

    Files.writeString(users, before + "dave:$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/\n");
    try {
      reload = Cli.run(config, "reload");
      assertThat(reload.exit()).isEqualTo(2);
      assertThat(reload.err().lines())
          .anyMatch(
              l ->
                  l.matches(
                      "berth\\.toml:\\d+: routes\\[0]\\.basic_auth\\.users_file:"
                          + " staging\\.htpasswd:\\d+: user \"dave\" has an MD5 hash .*"))
          .last()
          .isEqualTo("berth: reload not sent: the running berth keeps its current config");
      assertThat(Curl.get(base + "/", "-H", "Host: staging.test", "-u", "carol:new one").status())
          .isEqualTo(200);
    } finally {
      Files.writeString(users, before);
    }
  }

  @Test
  void checkNamesEachBadFileAndValueWithItsLine() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("bad"));
    Files.writeString(dir.resolve("weak.htpasswd"), "bob:$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/\n");
    Path bad =
        BerthProcess.write(
            dir.resolve("berth.toml"),
            """
            [[listeners]]
            address = "127.0.0.1:1"

            [[routes]]
            path = "/a"
            static = "."
            basic_auth = { users_file = "missing.htpasswd" }

            [[routes]]
            path = "/b"
            static = "."
            basic_auth = { users_file = "weak.htpasswd" }
            allow = ["10.0.0.0/40"]

            [[routes]]
            path = "/c"
            redirect = "example.com{uri}"
            """);
    Cli check = Cli.run(bad, "check");
    assertThat(check.exit()).isEqualTo(2);
    assertThat(check.err().lines())
        .containsExactly(
            "berth.toml:7: routes[0].basic_auth.users_file: \"missing.htpasswd\" (expected: an"
                + " htpasswd file; "
                + dir.toRealPath().resolve("missing.htpasswd")
                + ": no such file)",
            "berth.toml:12: routes[1].basic_auth.users_file: weak.htpasswd:1: user \"bob\" has an"
                + " MD5 hash ($apr1$), which is weak (expected: a bcrypt hash ($2y$), as berth"
                + " passwd weak.htpasswd bob writes)",
            "berth.toml:13: routes[1].allow: an array (expected: a list of addresses or CIDR blocks"
                + " like [\"10.0.0.0/8\", \"127.0.0.1\"]; \"10.0.0.0/40\": prefix length must be"
                + " 0..32)",
            "berth.toml:17: routes[2].redirect: \"example.com{uri}\" (expected: an absolute URL"
                + " like \"https://example.com{uri}\", where {uri}, {path}, {query} and {host}"
                + " stand for the request's)");
  }

  /** {@code berth passwd FILE USER} in its own JVM, the password on a pipe as a script gives it. */
  private static void passwd(Path file, String user, String password) throws Exception {
    List<String> command = new ArrayList<>();
    command.addAll(List.of("/bin/sh", "-c", "printf '%s\\n' \"$0\" | exec \"$@\"", password));
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.berth.Main"));
    command.addAll(List.of("passwd", file.toString(), user));
    try (BerthProcess run = BerthProcess.launch(new ProcessBuilder(command))) {
      assertThat(run.waitFor(Duration.ofSeconds(60))).as(run.output()).isZero();
      assertThat(run.output()).contains(file + ": added " + user);
    }
  }
}
