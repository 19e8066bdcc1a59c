package dev.berth.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** An app's static = { "/static" = "staticfiles" }: its shape, and the routes it makes. */
class AppStaticConfigTest {

  private static final String APP =
      "[[listeners]]\naddress = \":8080\"\n[apps.web]\ncommand = \"x\"\n";
  private static final String DIR_EXPECTED =
      "(expected: a directory inside the release like \"staticfiles\": relative, without \"..\","
          + " not the release itself)";

  @TempDir Path dir;
  private Path file;

  @BeforeEach
  void setUp() throws IOException {
    file = dir.resolve("berth.toml");
  }

  @Test
  void noneByDefault() throws Exception {
    assertThat(parse(APP).apps().get("web").statics()).isEmpty();
  }

  @Test
  void pathsAreNormalizedAndTheDirectoryNeedNotExistYet() throws Exception {
    App app =
        parse(APP + "static = { \"/static/\" = \"./build/static/\", \"/media\" = \"media\" }\n")
            .apps()
            .get("web");

    assertThat(app.statics())
        .isEqualTo(Map.of("/static", Path.of("build/static"), "/media", Path.of("media")));
  }

  @Test
  void eachRouteOfTheAppGetsItsStaticPathsWithItsHostAndLog() throws Exception {
    Config config =
        parse(
            APP
                + "static = { \"/static\" = \"staticfiles\" }\n"
                + "[[routes]]\npath = \"/\"\napp = \"web\"\n"
                + "[[routes]]\nhost = \"example.com\"\npath = \"/blog\"\napp = \"web\"\n"
                + "access_log = { enabled = false }\n");

    List<Route> routes = config.routes();
    assertThat(routes).hasSize(4);
    Route root = routes.get(1);
    assertThat(root.host()).isEmpty();
    assertThat(root.path()).isEqualTo("/static");
    assertThat(root.target())
        .isEqualTo(new Route.ReleaseFilesTarget("web", Path.of("staticfiles")));
    assertThat(root.line()).isEqualTo(5);
    Route blog = routes.get(3);
    assertThat(blog.host()).isEqualTo("example.com");
    assertThat(blog.path()).isEqualTo("/blog/static");
    assertThat(blog.accessLog().enabled()).isFalse();
  }

  @Test
  void aRouteAtTheSameHostAndPathIsADuplicate() {
    assertThat(
            problems(
                APP
                    + "static = { \"/static\" = \"staticfiles\" }\n"
                    + "[[routes]]\npath = \"/\"\napp = \"web\"\n"
                    + "[[routes]]\npath = \"/static\"\nstatic = \".\"\n"))
        .containsExactly(
            "berth.toml:9: routes[1]: host \"*\" and path \"/static\" duplicate the route at"
                + " line 5 (expected: one route per host and path)");
    assertThat(
            problems(
                APP
                    + "static = { \"/static\" = \"staticfiles\" }\n"
                    + "[[routes]]\npath = \"/static\"\nstatic = \".\"\n"
                    + "[[routes]]\npath = \"/\"\napp = \"web\"\n"))
        .containsExactly(
            "berth.toml:5: apps.web.static.\"/static\": \"/static\" under the route at line 9"
                + " makes host \"*\" and path \"/static\", which the route at line 6 has"
                + " (expected: one route per host and path)");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"/srv/static", "..", "a/../..", "../shared", ".", "./", "\"\"", "a\\u0001"})
  void theDirectoryLiesInsideTheRelease(String given) {
    String value = given.startsWith("\"") ? given : "\"" + given + "\"";
    List<String> problems = problems(APP + "static = { \"/static\" = " + value + " }\n");

    assertThat(problems).hasSize(1);
    assertThat(problems.get(0))
        .startsWith("berth.toml:5: apps.web.static.\"/static\": ")
        .endsWith(DIR_EXPECTED);
  }

  @ParameterizedTest
  @ValueSource(strings = {"static", "/", "/a//b", "/a/../b", "/a?b"})
  void theUrlPathIsBelowTheAppsRoutes(String given) {
    String key = given.equals("static") ? given : "\"" + given + "\"";
    assertThat(problems(APP + "static = { \"" + given + "\" = \"staticfiles\" }\n"))
        .containsExactly(
            "berth.toml:5: apps.web.static."
                + key
                + ": URL path \""
                + given
                + "\" (expected: a path below the app's routes like \"/static\": starting with"
                + " \"/\", not \"/\" itself, without \"?\", \"#\", \"//\", spaces, \".\" or \"..\""
                + " segments)");
  }

  @Test
  void notATableAndNotForAnAppBerthDoesNotRun() {
    assertThat(problems(APP + "static = \"staticfiles\"\n"))
        .containsExactly(
            "berth.toml:5: apps.web.static: \"staticfiles\" (expected: a table like"
                + " { \"/static\" = \"staticfiles\" })");
    assertThat(
            problems(
                "[[listeners]]\naddress = \":8080\"\n[apps.web]\nupstreams = [\"127.0.0.1:9000\"]\n"
                    + "static = { \"/static\" = \"staticfiles\" }\n"))
        .containsExactly(
            "berth.toml:5: apps.web.static: a table (expected: no static for an app given by its"
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
      return e.problems();
    }
  }
}
