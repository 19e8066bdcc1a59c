package dev.berth.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** An app's recycling keys: max_requests, max_requests_jitter, max_memory. */
class RecycleConfigTest {

  private static final String APP =
      "[[listeners]]\naddress = \":8080\"\n[apps.web]\ncommand = \"x\"\n";
  private static final String SIZE =
      "(expected: a size like \"8k\", \"10m\", \"1g\" or a number of bytes, at least \"1m\")";

  @TempDir Path dir;
  private Path file;

  @BeforeEach
  void setUp() throws IOException {
    file = dir.resolve("berth.toml");
    Files.createDirectories(dir);
  }

  @Test
  void noneByDefault() throws Exception {
    App.Recycle recycle = parse(APP).apps().get("web").run().recycle();

    assertThat(recycle).isEqualTo(App.Recycle.NONE);
    assertThat(recycle.any()).isFalse();
  }

  @Test
  void allThree() throws Exception {
    App.Recycle recycle =
        parse(APP + "max_requests = 1000\nmax_requests_jitter = 50\nmax_memory = \"512m\"\n")
            .apps()
            .get("web")
            .run()
            .recycle();

    assertThat(recycle).isEqualTo(new App.Recycle(1000, 50, 512L << 20));
    assertThat(recycle.any()).isTrue();
  }

  @Test
  void eachAlone() throws Exception {
    assertThat(parse(APP + "max_requests = 1\n").apps().get("web").run().recycle())
        .isEqualTo(new App.Recycle(1, 0, null));
    assertThat(
            parse(APP + "max_requests = 10\nmax_requests_jitter = 0\n")
                .apps()
                .get("web")
                .run()
                .recycle())
        .isEqualTo(new App.Recycle(10, 0, null));
    assertThat(parse(APP + "max_memory = \"1g\"\n").apps().get("web").run().recycle())
        .isEqualTo(new App.Recycle(null, 0, 1L << 30));
    assertThat(parse(APP + "max_memory = 1048576\n").apps().get("web").run().recycle())
        .isEqualTo(new App.Recycle(null, 0, 1L << 20));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "0           | 0 (expected: an integer from 1 to 1000000000)",
        "-5          | -5 (expected: an integer from 1 to 1000000000)",
        "1000000001  | 1000000001 (expected: an integer from 1 to 1000000000)",
        "2.5         | 2.5 (expected: an integer from 1 to 1000000000)",
        "'\"100\"'   | \"100\" (expected: an integer from 1 to 1000000000)",
      })
  void badMaxRequests(String toml, String message) {
    assertThat(problems(APP + "max_requests = " + toml + "\n"))
        .containsExactly("berth.toml:5: apps.web.max_requests: " + message);
  }

  @Test
  void badJitter() {
    assertThat(problems(APP + "max_requests = 10\nmax_requests_jitter = -1\n"))
        .containsExactly(
            "berth.toml:6: apps.web.max_requests_jitter: -1 (expected: an integer from 0 to 1000000000)");
    assertThat(problems(APP + "\nmax_requests_jitter = 5\n"))
        .containsExactly(
            "berth.toml:6: apps.web.max_requests_jitter: 5 (expected: only with max_requests)");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "'\"512\"'    | \"512\"",
        "'\"1023k\"'  | \"1023k\"",
        "0            | 0",
        "'\"lots\"'   | \"lots\"",
        "'\"1 g\"'    | \"1 g\"",
        "true         | true",
      })
  void badMaxMemory(String toml, String shown) {
    assertThat(problems(APP + "max_memory = " + toml + "\n"))
        .containsExactly("berth.toml:5: apps.web.max_memory: " + shown + " " + SIZE);
  }

  @Test
  void notForAnAppBerthDoesNotRun() {
    assertThat(
            problems(
                """
                [[listeners]]
                address = ":8080"
                [apps.legacy]
                upstreams = ["127.0.0.1:9000"]
                max_requests = 100
                max_memory = "1g"
                """))
        .containsExactly(
            "berth.toml:5: apps.legacy.max_requests: 100 (expected: no max_requests for an app given by its"
                + " upstreams; berth does not run it)",
            "berth.toml:6: apps.legacy.max_memory: \"1g\" (expected: no max_memory for an app given by its"
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
