package dev.berth.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.config.AccessLogSpec;
import dev.berth.config.ConfigLoader;
import dev.berth.config.Route;
import dev.berth.config.RouteLimits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RouteTableTest {

  private static Route route(String host, String path, String app) {
    return new Route(
        host,
        path,
        new Route.AppTarget(app),
        false,
        RouteLimits.standard(),
        new AccessLogSpec(false, Path.of("/dev/null"), AccessLogSpec.Format.COMBINED),
        1);
  }

  private static final RouteTable TABLE =
      RouteTable.of(
          List.of(
              route("", "/", "root"),
              route("", "/blog", "blog"),
              route("", "/blog/admin", "admin"),
              route("api.example.com", "/v1", "api"),
              route("*.example.com", "/", "tenant"),
              route("*.eu.example.com", "/", "eu")));

  private static Optional<String> app(String host, String path) {
    return Optional.ofNullable(TABLE.match(host, path))
        .map(r -> ((Route.AppTarget) r.target()).app());
  }

  @Test
  void longestPrefixWinsOnSegmentBoundaries() {
    assertThat(app("localhost", "/")).contains("root");
    assertThat(app("localhost", "/blog")).contains("blog");
    assertThat(app("localhost", "/blog/")).contains("blog");
    assertThat(app("localhost", "/blog/post/1")).contains("blog");
    assertThat(app("localhost", "/blogger")).contains("root");
    assertThat(app("localhost", "/blog/admin/users")).contains("admin");
    assertThat(app("localhost", "/blog/administrator")).contains("blog");
  }

  @Test
  void hostIsDecidedFirstExactThenLongestWildcardThenAny() {
    assertThat(app("api.example.com", "/v1/users")).contains("api");
    // The exact host has no "/" route: no fall-through to the wildcard or the default (as nginx).
    assertThat(app("api.example.com", "/")).isEmpty();
    assertThat(app("shop.example.com", "/")).contains("tenant");
    assertThat(app("a.b.example.com", "/x")).contains("tenant");
    assertThat(app("paris.eu.example.com", "/")).contains("eu");
    assertThat(app("example.com", "/")).contains("root");
    assertThat(app(null, "/blog")).contains("blog");
  }

  @Test
  void hostHeaderIsNormalized() {
    assertThat(app("API.Example.COM:8443", "/v1")).contains("api");
    assertThat(app("api.example.com.", "/v1")).contains("api");
    assertThat(RouteTable.normalizeHost("[::1]:8080")).isEqualTo("[::1]");
    assertThat(RouteTable.normalizeHost(null)).isEmpty();
  }

  @Test
  void routesForAnyHostMatchWhateverTheHostField() {
    RouteTable anyHost = RouteTable.of(List.of(route("", "/", "root"), route("", "/blog", "blog")));
    for (String host :
        new String[] {
          null, "", "example.com", "Example.COM:8080", "[::1]:80", "shop.example.com."
        }) {
      assertThat(anyHost.match(host, "/blog/x").target()).isEqualTo(new Route.AppTarget("blog"));
      assertThat(anyHost.match(host, "/")).isSameAs(anyHost.match("localhost", "/"));
    }
  }

  @Test
  void noRoutesMatchNothing() {
    assertThat(RouteTable.of(List.of()).match("x", "/")).isNull();
  }

  @Test
  void anAppsStaticPathUnderEachOfItsRoutesWinsOverTheAppWithTheRoutesHost(@TempDir Path tmp)
      throws Exception {
    Path file = tmp.resolve("berth.toml");
    Files.writeString(
        file,
        """
        [[listeners]]
        address = "127.0.0.1:8080"

        [apps.site]
        command = "serve"
        static = { "/static" = "staticfiles", "/media/" = "./var/media/" }

        [apps.other]
        command = "serve"

        [[routes]]
        path = "/"
        app = "site"

        [[routes]]
        host = "blog.example.com"
        path = "/blog"
        app = "site"

        [[routes]]
        path = "/static/admin"
        app = "other"
        """);
    RouteTable table = RouteTable.of(ConfigLoader.load(file).routes());

    assertThat(target(table, "localhost", "/static/css/site.css"))
        .isEqualTo(new Route.ReleaseFilesTarget("site", Path.of("staticfiles")));
    assertThat(target(table, "localhost", "/static"))
        .isEqualTo(new Route.ReleaseFilesTarget("site", Path.of("staticfiles")));
    assertThat(target(table, "localhost", "/media/a.png"))
        .isEqualTo(new Route.ReleaseFilesTarget("site", Path.of("var/media")));
    assertThat(target(table, "localhost", "/staticky")).isEqualTo(new Route.AppTarget("site"));
    assertThat(target(table, "localhost", "/static/admin/base.css"))
        .as("a longer route still wins")
        .isEqualTo(new Route.AppTarget("other"));
    assertThat(target(table, "blog.example.com", "/blog/static/a.css"))
        .isEqualTo(new Route.ReleaseFilesTarget("site", Path.of("staticfiles")));
    assertThat(target(table, "blog.example.com", "/blog/post"))
        .isEqualTo(new Route.AppTarget("site"));
    assertThat(table.match("blog.example.com", "/static/a.css"))
        .as("only under the app's routes, with their host")
        .isNull();
  }

  private static Route.Target target(RouteTable table, String host, String path) {
    Route route = table.match(host, path);
    return route == null ? null : route.target();
  }
}
