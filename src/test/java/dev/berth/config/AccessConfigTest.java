package dev.berth.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * basic_auth, allow, deny, rate_limit, redirect routes and error_pages as berth check reads them.
 */
class AccessConfigTest {

  /** "secret" at cost 4 (fast for tests), as berth passwd writes it. */
  static final String HASH = "$2y$04$....................../dCAsp4PpJoDgv6BeaLP6BKrXlBV1oi";

  private static final String HEAD =
      """
      [[listeners]]
      address = ":8080"
      [apps.web]
      upstreams = ["127.0.0.1:9000"]
      """;

  @TempDir Path dir;
  private Path file;

  @BeforeEach
  void setUp() throws IOException {
    file = dir.resolve("berth.toml");
    Files.createDirectories(dir.resolve("public"));
  }

  @Test
  void readsEveryRuleOfARoute() throws Exception {
    Files.writeString(
        dir.resolve("site.htpasswd"), "# staging\nalice:" + HASH + "\n\nbob:" + HASH + "\n");
    Config config =
        ConfigLoader.parse(
            file,
            HEAD
                + """
                [[routes]]
                app = "web"
                allow = ["10.0.0.0/8", "127.0.0.1"]
                deny = ["10.1.0.0/16"]
                basic_auth = { users_file = "site.htpasswd", realm = "Staging" }
                rate_limit = { requests = 10, per = "1m" }
                """);
    RouteAccess access = config.routes().get(0).access();
    assertThat(access.allow()).containsExactly(Cidr.parse("10.0.0.0/8"), Cidr.parse("127.0.0.1"));
    assertThat(access.deny()).containsExactly(Cidr.parse("10.1.0.0/16"));
    assertThat(access.basicAuth().realm()).isEqualTo("Staging");
    assertThat(access.basicAuth().users()).containsOnlyKeys("alice", "bob");
    assertThat(access.basicAuth().usersFile()).isEqualTo(dir.resolve("site.htpasswd"));
    assertThat(access.rateLimit())
        .isEqualTo(new RouteAccess.RateLimit(10, Duration.ofMinutes(1), 10));
    assertThat(access.guards()).isTrue();
  }

  @Test
  void aRouteWithoutRulesHasNone() throws Exception {
    Config config = ConfigLoader.parse(file, HEAD + "[[routes]]\napp = \"web\"\n");
    assertThat(config.routes().get(0).access()).isEqualTo(RouteAccess.NONE);
    assertThat(RouteAccess.NONE.guards()).isFalse();
  }

  @Test
  void readsARedirectRoute() throws Exception {
    Config config =
        ConfigLoader.parse(
            file,
            HEAD
                + """
                [[routes]]
                host = "www.example.com"
                redirect = "https://example.com{uri}"
                [[routes]]
                host = "old.example.com"
                redirect = "https://new.example.com{path}"
                redirect_code = 301
                """);
    assertThat(config.routes().get(0).target())
        .isEqualTo(new Route.RedirectTarget("https://example.com{uri}", 308));
    assertThat(config.routes().get(1).target())
        .isEqualTo(new Route.RedirectTarget("https://new.example.com{path}", 301));
  }

  @Test
  void readsAnAppsErrorPagesIntoItsRoutes() throws Exception {
    Files.writeString(dir.resolve("public/502.html"), "<h1>Back soon</h1>");
    Config config =
        ConfigLoader.parse(
            file,
            HEAD
                + """
                error_pages = { 502 = "public/502.html", 504 = "public/502.html" }
                [[routes]]
                app = "web"
                [[routes]]
                path = "/files"
                static = "public"
                """);
    Map<Integer, RouteAccess.ErrorPage> pages = config.routes().get(0).access().errorPages();
    assertThat(pages).containsOnlyKeys(502, 504);
    assertThat(new String(pages.get(502).body())).isEqualTo("<h1>Back soon</h1>");
    assertThat(config.routes().get(0).access().guards()).isFalse();
    assertThat(config.routes().get(1).access().errorPages()).isEmpty();
  }

  @Test
  void everyProblemHasItsFileAndLine() throws Exception {
    Files.writeString(
        dir.resolve("weak.htpasswd"),
        "alice:"
            + HASH
            + "\nbob:$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/\ncarol:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\nalice:"
            + HASH
            + "\n");
    assertThat(
            problems(
                HEAD
                    + """
                    error_pages = { 500 = "public/x.html", 502 = "public/missing.html" }
                    [[routes]]
                    path = "/a"
                    app = "web"
                    basic_auth = { users_file = "missing.htpasswd" }
                    [[routes]]
                    path = "/b"
                    app = "web"
                    basic_auth = { users_file = "weak.htpasswd" }
                    allow = ["10.0.0.0/33", "127.0.0.1"]
                    deny = ["example.com"]
                    [[routes]]
                    path = "/c"
                    redirect = "example.com{uri}"
                    rate_limit = { per = "1s", burst = 0 }
                    [[routes]]
                    path = "/d"
                    redirect = "https://example.com{url}"
                    redirect_code = 303
                    [[routes]]
                    path = "/e"
                    static = "public"
                    redirect = "https://example.com"
                    redirect_code = 301
                    [[routes]]
                    path = "/f"
                    static = "public"
                    redirect_code = 301
                    basic_auth = { file = "x" }
                    """))
        .containsExactly(
            "berth.toml:5: apps.web.error_pages.500: unknown key (did you mean 502?)",
            "berth.toml:5: apps.web.error_pages.502: \"public/missing.html\" (expected: an HTML file; "
                + dir.resolve("public/missing.html")
                + " is not a file)",
            "berth.toml:9: routes[0].basic_auth.users_file: \"missing.htpasswd\" (expected: an"
                + " htpasswd file; "
                + dir.resolve("missing.htpasswd")
                + ": no such file)",
            "berth.toml:13: routes[1].basic_auth.users_file: weak.htpasswd:2: user \"bob\" has an"
                + " MD5 hash ($apr1$), which is weak (expected: a bcrypt hash ($2y$), as berth"
                + " passwd weak.htpasswd bob writes)",
            "berth.toml:13: routes[1].basic_auth.users_file: weak.htpasswd:3: user \"carol\" has a"
                + " SHA-1 hash ({SHA}), which is weak (expected: a bcrypt hash ($2y$), as berth"
                + " passwd weak.htpasswd carol writes)",
            "berth.toml:13: routes[1].basic_auth.users_file: weak.htpasswd:4: user \"alice\" again"
                + " (expected: once; first at line 1)",
            "berth.toml:14: routes[1].allow: an array (expected: a list of addresses or CIDR blocks"
                + " like [\"10.0.0.0/8\", \"127.0.0.1\"]; \"10.0.0.0/33\": prefix length must be"
                + " 0..32)",
            "berth.toml:15: routes[1].deny: an array (expected: a list of addresses or CIDR blocks"
                + " like [\"10.0.0.0/8\", \"127.0.0.1\"]; \"example.com\": not an IP address:"
                + " example.com)",
            "berth.toml:18: routes[2].redirect: \"example.com{uri}\" (expected: an absolute URL"
                + " like \"https://example.com{uri}\", where {uri}, {path}, {query} and {host}"
                + " stand for the request's)",
            "berth.toml:19: routes[2].rate_limit.requests: missing (expected: an integer from 1 to"
                + " 1000000)",
            "berth.toml:19: routes[2].rate_limit.burst: 0 (expected: an integer from 1 to 1000000)",
            "berth.toml:22: routes[3].redirect: \"https://example.com{url}\" (expected: an"
                + " absolute URL like \"https://example.com{uri}\", where {uri}, {path}, {query}"
                + " and {host} stand for the request's)",
            "berth.toml:23: routes[3].redirect_code: 303 (expected: 301, 302, 307 or 308)",
            "berth.toml:24: routes[4]: both static and redirect (expected: exactly one of app ="
                + " \"<app name>\", static = \"<directory>\" or redirect = \"<url>\")",
            "berth.toml:32: routes[5].redirect_code: 301 (expected: only on a route with redirect"
                + " = ...)",
            "berth.toml:33: routes[5].basic_auth.file: unknown key (expected one of: users_file, realm)",
            "berth.toml:33: routes[5].basic_auth.users_file: missing (expected: a file path)");
  }

  @Test
  void aReloadSeesAChangedUsersFile() throws Exception {
    Path users = dir.resolve("site.htpasswd");
    Files.writeString(users, "alice:" + HASH + "\n");
    String toml =
        HEAD + "[[routes]]\napp = \"web\"\nbasic_auth = { users_file = \"site.htpasswd\" }\n";
    RouteAccess before = ConfigLoader.parse(file, toml).routes().get(0).access();
    assertThat(ConfigLoader.parse(file, toml).routes().get(0).access()).isEqualTo(before);
    Files.writeString(users, "alice:" + HASH + "\nbob:" + HASH + "\n");
    assertThat(ConfigLoader.parse(file, toml).routes().get(0).access()).isNotEqualTo(before);
  }

  private List<String> problems(String toml) {
    try {
      ConfigLoader.parse(file, toml);
      return List.of();
    } catch (ConfigException e) {
      return e.problems();
    }
  }
}
