package dev.berth.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An app's log_rate_limit. */
class LogRateLimitConfigTest {

  private static final String APP =
      "[[listeners]]\naddress = \":8080\"\n[apps.web]\ncommand = \"x\"\n";

  @TempDir Path dir;

  @Test
  void tenThousandByDefault() throws Exception {
    assertThat(parse(APP).run().logRateLimit()).isEqualTo(10_000);
  }

  @Test
  void setOrOff() throws Exception {
    assertThat(parse(APP + "log_rate_limit = 500\n").run().logRateLimit()).isEqualTo(500);
    assertThat(parse(APP + "log_rate_limit = 0\n").run().logRateLimit()).isZero();
  }

  @Test
  void outOfRange() {
    assertThat(problems(APP + "log_rate_limit = -1\n"))
        .containsExactly(
            "berth.toml:5: apps.web.log_rate_limit: -1 (expected: an integer from 0 to 1000000)");
    assertThat(problems(APP + "log_rate_limit = \"fast\"\n")).hasSize(1);
  }

  private App parse(String toml) throws ConfigException {
    return ConfigLoader.parse(dir.resolve("berth.toml"), toml).apps().get("web");
  }

  private List<String> problems(String toml) {
    try {
      ConfigLoader.parse(dir.resolve("berth.toml"), toml);
      return List.of();
    } catch (ConfigException e) {
      return e.problems();
    }
  }
}
