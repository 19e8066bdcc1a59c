package dev.berth.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The http2_* keys of [edge]. */
class Http2KeysTest {

  private static final String LISTENER = "[[listeners]]\naddress = \":8080\"\n";

  @TempDir Path dir;

  @Test
  void everyKey() throws Exception {
    Config config =
        parse(
            LISTENER
                + """
                [edge]
                http2_max_concurrent_streams = 256
                http2_max_header_list_size = "32k"
                http2_initial_window_size = "1m"
                http2_idle_timeout = "5m"
                http2_send_timeout = "90s"
                """);
    assertThat(config.edge().http2())
        .isEqualTo(
            new Http2Limits(
                256, 32 * 1024, 1024 * 1024, Duration.ofMinutes(5), Duration.ofSeconds(90)));
  }

  @Test
  void defaultsWithTheIdleTimeoutOfKeepAlive() throws Exception {
    assertThat(parse(LISTENER).edge().http2())
        .isEqualTo(
            new Http2Limits(128, 16 * 1024, 65_535, Duration.ofSeconds(75), Duration.ofSeconds(60)))
        .isEqualTo(Http2Limits.standard(Duration.ofSeconds(75)));
    assertThat(
            parse(LISTENER + "[edge]\nkeepalive_timeout = \"10s\"\n").edge().http2().idleTimeout())
        .isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void aChangeAppliesToNewConnections() throws Exception {
    EdgeSettings before = parse(LISTENER).edge();
    EdgeSettings after = parse(LISTENER + "[edge]\nhttp2_max_concurrent_streams = 64\n").edge();
    assertThat(before.differsLive(after)).isTrue();
    assertThat(before.differsAtStart(after)).isFalse();
  }

  @Test
  void badValuesInLineOrder() {
    assertThat(
            problems(
                LISTENER
                    + """
                    [edge]
                    http2_max_concurrent_streams = 0
                    http2_max_header_list_size = "2m"
                    http2_initial_window_size = "4g"
                    http2_idle_timeout = "0s"
                    http2_send_timeout = "never"
                    """))
        .containsExactly(
            "berth.toml:4: edge.http2_max_concurrent_streams: 0 (expected: an integer from 1 to"
                + " 10000)",
            "berth.toml:5: edge.http2_max_header_list_size: \"2m\" (expected: a size like \"8k\","
                + " \"10m\", \"1g\" or a number of bytes, from 1024 to 1048576 bytes)",
            "berth.toml:6: edge.http2_initial_window_size: \"4g\" (expected: a size like \"8k\","
                + " \"10m\", \"1g\" or a number of bytes, from 1024 to 2147483647 bytes)",
            "berth.toml:7: edge.http2_idle_timeout: \"0s\" (expected: a duration more than 0 and"
                + " at most 24h)",
            "berth.toml:8: edge.http2_send_timeout: \"never\" (expected: a duration like \"30s\","
                + " \"500ms\" or \"2m\")");
  }

  private Config parse(String toml) throws ConfigException {
    return ConfigLoader.parse(dir.resolve("berth.toml"), toml);
  }

  private List<String> problems(String toml) {
    try {
      parse(toml);
      return List.of();
    } catch (ConfigException e) {
      return e.problems();
    }
  }
}
