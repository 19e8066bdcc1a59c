package dev.berth.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The keys of WebSockets and other upgrades: routes' upgrades, [edge]'s tunnel settings. */
class UpgradesKeyTest {

  private static final String APP =
      """
      [[listeners]]
      address = ":8080"

      [apps.web]
      command = "x"

      [[routes]]
      app = "web"
      """;

  @TempDir Path dir;

  private Config load(String toml) throws ConfigException {
    return ConfigLoader.parse(dir.resolve("berth.toml"), toml);
  }

  private Route.AppTarget target(Config config) {
    return (Route.AppTarget) config.routes().get(0).target();
  }

  @Test
  void aRouteLetsWebSocketsThroughUnlessItSaysOtherwise() throws Exception {
    Config config = load(APP);
    assertThat(target(config).upgrades()).containsExactly("websocket");
    assertThat(target(config).allowsUpgrade("WebSocket")).isTrue();
    assertThat(target(config).allowsUpgrade("h2c")).isFalse();
    assertThat(config.edge().websocketIdleTimeout()).isEqualTo(Duration.ofHours(1));
    assertThat(config.edge().maxTunnels()).isEqualTo(5000);

    Config none = load(APP + "upgrades = []\n");
    assertThat(target(none).upgrades()).isEmpty();
    Config versioned = load(APP + "upgrades = [\"Foo\", \"websocket\"]\n");
    assertThat(target(versioned).allowsUpgrade("foo/2")).isTrue();

    Config edge = load(APP + "\n[edge]\nwebsocket_idle_timeout = \"10m\"\nmax_tunnels = 20\n");
    assertThat(edge.edge().websocketIdleTimeout()).isEqualTo(Duration.ofMinutes(10));
    assertThat(edge.edge().maxTunnels()).isEqualTo(20);
  }

  @Test
  void h2cAndWhatIsNotAProtocolNameAreRefusedWithTheLine() {
    ConfigException e =
        catchThrowableOfType(
            ConfigException.class,
            () -> load(APP + "upgrades = [\"h2c\"]\n\n[edge]\nmax_tunnels = 0\n"));
    assertThat(e.problems())
        .containsExactlyInAnyOrder(
            "berth.toml:9: routes[0].upgrades: an array (expected: a list of protocol names like"
                + " [\"websocket\"], never h2c; \"h2c\" is not one)",
            "berth.toml:12: edge.max_tunnels: 0 (expected: an integer from 1 to 1000000)");
    List<String> spaces =
        catchThrowableOfType(ConfigException.class, () -> load(APP + "upgrades = [\"a b\"]\n"))
            .problems();
    assertThat(spaces).hasSize(1);
    assertThat(spaces.get(0)).startsWith("berth.toml:9: routes[0].upgrades: ");
  }
}
