package dev.berth.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.config.App;
import dev.berth.config.Config;
import dev.berth.config.ConfigLoader;
import dev.berth.config.Listener;
import dev.berth.config.Route;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The difference between two configs, as a reload sees it. */
class ConfigChangeTest {

  @TempDir Path tmp;

  private static final String BASE =
      """
      [[listeners]]
      address = "127.0.0.1:8080"

      [apps.blog]
      command = "gunicorn wsgi:app"
      instances = 2

      [apps.api]
      command = "gunicorn api:app"

      [[routes]]
      path = "/blog"
      app = "blog"

      [[routes]]
      path = "/api"
      app = "api"
      """;

  @BeforeEach
  void publicDir() throws Exception {
    Files.createDirectories(tmp.resolve("public"));
  }

  @Test
  void sameFileIsNoChange() throws Exception {
    ConfigChange change = ConfigChange.between(load(BASE), load(BASE));
    assertThat(change.isEmpty()).isTrue();
    assertThat(change.lines()).isEmpty();
    assertThat(change.refused()).isEmpty();
  }

  @Test
  void routesMovedInTheFileOrCommentsAddedAreNoChange() throws Exception {
    String moved =
        """
        # a comment, which moves every line down

        [[routes]]
        path = "/api"
        app = "api"

        [[listeners]]
        address = "127.0.0.1:8080"

        [apps.api]
        command = "gunicorn api:app"

        [apps.blog]
        command = "gunicorn wsgi:app"
        instances = 2

        [[routes]]
        path = "/blog"
        app = "blog"
        """;
    ConfigChange change = ConfigChange.between(load(BASE), load(moved));
    assertThat(change.isEmpty()).as("%s", change.lines()).isTrue();
  }

  @Test
  void aRouteMovedToAnotherPathIsOneRemovedAndOneAdded() throws Exception {
    ConfigChange change =
        ConfigChange.between(
            load(BASE), load(BASE.replace("path = \"/blog\"", "path = \"/journal\"")));
    assertThat(change.addedRoutes()).extracting(Route::path).containsExactly("/journal");
    assertThat(change.removedRoutes()).extracting(Route::path).containsExactly("/blog");
    assertThat(change.changedRoutes()).isEmpty();
    assertThat(change.routeTableChanged()).isTrue();
    assertThat(change.addedApps()).isEmpty();
    // Mounted elsewhere: a new generation, whose probes and first requests carry the new prefix.
    assertThat(change.changedApps()).extracting(c -> c.after().name()).containsExactly("blog");
    assertThat(change.lines())
        .containsExactly("app ~ blog", "route + /journal -> blog", "route - /blog -> blog");
  }

  @Test
  void aRouteToAnotherTargetOrWithOtherOptionsIsChanged() throws Exception {
    String next =
        BASE.replace("path = \"/api\"\napp = \"api\"", "path = \"/api\"\napp = \"blog\"")
            .replace(
                "path = \"/blog\"\napp = \"blog\"",
                "path = \"/blog\"\napp = \"blog\"\nstrip_prefix = true");
    ConfigChange change = ConfigChange.between(load(BASE), load(next));
    assertThat(change.changedRoutes())
        .extracting(c -> c.after().path())
        .containsExactly("/blog", "/api");
    // blog's prefix is stripped now, and api has no route left: both are mounted elsewhere.
    assertThat(change.lines())
        .containsExactly(
            "app ~ blog", "app ~ api", "route ~ /blog -> blog", "route ~ /api -> blog");
  }

  @Test
  void hostsAndStaticRoutesAreDescribed() throws Exception {
    String next =
        BASE
            + """

            [[routes]]
            host = "example.com"
            path = "/api"
            app = "api"

            [[routes]]
            path = "/static"
            static = "public"
            """;
    ConfigChange change = ConfigChange.between(load(BASE), load(next));
    // api's probes now ask for Host: example.com, the host its routes name.
    assertThat(change.lines())
        .containsExactly(
            "app ~ api",
            "route + example.com/api -> api",
            "route + /static -> static " + tmp.resolve("public").toRealPath());
  }

  @Test
  void anAppsStaticDirectoriesChangeTheAppAndAddARoutePerRouteOfIt() throws Exception {
    String next =
        BASE.replace(
            "instances = 2\n", "instances = 2\nstatic = { \"/static\" = \"staticfiles\" }\n");
    ConfigChange change = ConfigChange.between(load(BASE), load(next));
    assertThat(change.lines())
        .containsExactly("app ~ blog", "route + /blog/static -> blog files staticfiles");
  }

  @Test
  void appsAddedChangedAndRemoved() throws Exception {
    String next =
        """
        [[listeners]]
        address = "127.0.0.1:8080"

        [apps.blog]
        command = "gunicorn wsgi:app"
        instances = 2
        env = { GREETING = "hello" }

        [apps.shop]
        command = "gunicorn shop:app"

        [[routes]]
        path = "/blog"
        app = "blog"

        [[routes]]
        path = "/shop"
        app = "shop"
        """;
    Config old = load(BASE);
    ConfigChange change = ConfigChange.between(old, load(next));
    assertThat(change.addedApps()).extracting(App::name).containsExactly("shop");
    assertThat(change.changedApps())
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.before()).isEqualTo(old.apps().get("blog"));
              assertThat(c.after().run().env()).containsEntry("GREETING", "hello");
            });
    assertThat(change.removedApps()).extracting(App::name).containsExactly("api");
    // In the order they are applied: added apps, changed apps, listeners, routes, removed apps.
    assertThat(change.lines())
        .containsExactly(
            "app + shop",
            "app ~ blog",
            "route + /shop -> shop",
            "route - /api -> api",
            "app - api");
  }

  @Test
  void aChangedInstanceCountIsAChangedApp() throws Exception {
    ConfigChange change =
        ConfigChange.between(load(BASE), load(BASE.replace("instances = 2", "instances = 3")));
    assertThat(change.changedApps())
        .extracting(c -> c.after().run().instances())
        .containsExactly(3);
    assertThat(change.routeTableChanged()).isFalse();
    assertThat(change.isEmpty()).isFalse();
  }

  @Test
  void listenersAddedAndRemoved() throws Exception {
    String next =
        BASE.replace(
            "address = \"127.0.0.1:8080\"",
            "address = \":8081\"\n\n[[listeners]]\naddress = \"[::1]:8082\"");
    ConfigChange change = ConfigChange.between(load(BASE), load(next));
    assertThat(change.addedListeners())
        .containsExactly(new Listener("", 8081), new Listener("::1", 8082));
    assertThat(change.removedListeners()).containsExactly(new Listener("127.0.0.1", 8080));
    assertThat(change.lines())
        .containsExactly("listener + :8081", "listener + [::1]:8082", "listener - 127.0.0.1:8080");
    assertThat(change.routeTableChanged()).isFalse();
  }

  @Test
  void tlsChangesAreSeen() throws Exception {
    String next =
        BASE.replace("path = \"/api\"", "path = \"/api\"\nhsts = \"max-age=60\"")
            + "\n[tls]\nunknown_names = \"refuse\"\n";
    String internal =
        BASE.replace(
            "address = \"127.0.0.1:8080\"", "address = \"127.0.0.1:8080\"\ntls = \"internal\"");
    ConfigChange change = ConfigChange.between(load(BASE), load(next));
    assertThat(change.settings()).containsExactly("setting ~ [tls]");
    assertThat(change.routeTableChanged()).as("a route's hsts changed").isTrue();
    ConfigChange listener = ConfigChange.between(load(BASE), load(internal));
    assertThat(listener.lines())
        .containsExactly("listener + 127.0.0.1:8080 (https)", "listener - 127.0.0.1:8080");
  }

  @Test
  void globalSettingsAreListed() throws Exception {
    String next = "shutdown_timeout = \"30s\"\n\n[edge]\nkeepalive_timeout = \"5s\"\n\n" + BASE;
    ConfigChange change = ConfigChange.between(load(BASE), load(next));
    assertThat(change.settings())
        .containsExactly(
            "setting ~ [edge]: applies to new connections",
            "setting ~ shutdown_timeout: 10s -> 30s");
    assertThat(change.isEmpty()).isFalse();
    assertThat(change.routeTableChanged()).isFalse();
  }

  @Test
  void eventLoopsAndTransportWaitForARestart() throws Exception {
    String next = "[edge]\nthreads = 3\ntransport = \"nio\"\n\n" + BASE;
    ConfigChange change = ConfigChange.between(load(BASE), load(next));
    assertThat(change.settings())
        .containsExactly("setting ~ [edge] threads, transport: apply when berth restarts");
    assertThat(
            ConfigChange.between(
                    load(BASE), load(next.replace("[edge]\n", "[edge]\nmax_connections = 5\n")))
                .settings())
        .containsExactly(
            "setting ~ [edge] threads, transport: apply when berth restarts",
            "setting ~ [edge]: applies to new connections");
    assertThat(
            ConfigChange.between(load(BASE), load("[edge]\nthreads = \"auto\"\n\n" + BASE))
                .isEmpty())
        .isTrue();
  }

  @Test
  void edgeDefaultsThatReachRoutesChangeThem() throws Exception {
    // Route limits are resolved at load: a new default body size is a change of every route without
    // its own.
    String next = "[edge]\nmax_body_size = \"1m\"\n\n" + BASE;
    ConfigChange change = ConfigChange.between(load(BASE), load(next));
    assertThat(change.changedRoutes()).hasSize(2);
    assertThat(change.routeTableChanged()).isTrue();
  }

  @Test
  void aNewStateDirIsRefused() throws Exception {
    Config before = load(BASE);
    ConfigChange change = ConfigChange.between(before, load("state_dir = \"elsewhere\"\n" + BASE));
    assertThat(change.refused())
        .singleElement()
        .asString()
        .startsWith("state_dir: " + before.stateDir() + " -> " + tmp.resolve("elsewhere"))
        .contains("restart berth");
  }

  private Config load(String text) throws Exception {
    Path file = Files.writeString(tmp.resolve("berth.toml"), text);
    return ConfigLoader.load(file);
  }
}
