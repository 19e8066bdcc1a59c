package dev.berth.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.config.Compression.Coding;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A route's compress keys, as ConfigLoader reads them. */
class CompressionConfigTest {

  private static final String APP =
      """
      [[listeners]]
      address = ":8080"
      [apps.web]
      command = "x"
      """;

  @TempDir Path dir;
  private Path file;

  @BeforeEach
  void setUp() throws IOException {
    file = dir.resolve("berth.toml");
    Files.createDirectories(dir.resolve("public"));
  }

  @Test
  void anAppRouteCompressesTextByDefault() throws Exception {
    Route route = ConfigLoader.parse(file, APP + "[[routes]]\napp = \"web\"\n").routes().get(0);
    assertThat(((Route.AppTarget) route.target()).compression()).isEqualTo(Compression.DEFAULT);
  }

  @Test
  void theKeysAreRead() throws Exception {
    Config config =
        ConfigLoader.parse(
            file,
            APP
                + """
                [[routes]]
                path = "/a"
                app = "web"
                compress = ["gzip", "zstd"]
                compress_min_size = "1k"
                compress_types = ["Text/HTML", "application/*"]
                [[routes]]
                path = "/b"
                app = "web"
                compress = []
                """);
    assertThat(config.routes())
        .extracting(r -> ((Route.AppTarget) r.target()).compression())
        .containsExactly(
            new Compression(
                List.of(Coding.GZIP, Coding.ZSTD), 1024, List.of("text/html", "application/*")),
            new Compression(List.of(), 256, Compression.DEFAULT_TYPES));
  }

  @Test
  void badValuesAreRefusedWithWhatWasExpected() {
    assertThat(
            problems(
                APP
                    + """
                    [[routes]]
                    path = "/a"
                    app = "web"
                    compress = ["deflate"]
                    compress_min_size = -1
                    compress_types = ["text"]
                    [[routes]]
                    path = "/b"
                    app = "web"
                    compress = ["gzip", "gzip"]
                    compress_types = []
                    [[routes]]
                    path = "/c"
                    app = "web"
                    compress = "gzip"
                    """))
        .containsExactly(
            "berth.toml:8: routes[0].compress: an array " + codings(" \"deflate\" is not one"),
            "berth.toml:9: routes[0].compress_min_size: -1 (expected: a size like \"8k\", \"10m\","
                + " \"1g\" or a number of bytes, from 0 to 1099511627776 bytes)",
            "berth.toml:10: routes[0].compress_types: an array (expected: a list of media types"
                + " like [\"text/*\", \"application/json\"]; \"text\" is not one)",
            "berth.toml:14: routes[1].compress: an array " + codings(" \"gzip\" twice"),
            "berth.toml:15: routes[1].compress_types: [] (expected: a list of media types like"
                + " [\"text/*\", \"application/json\"])",
            "berth.toml:19: routes[2].compress: \"gzip\" " + codings(""));
  }

  @Test
  void theKeysBelongToAppRoutes() {
    assertThat(
            problems(
                APP
                    + """
                    [[routes]]
                    static = "public"
                    compress = ["gzip"]
                    compress_min_size = 100
                    compress_types = ["text/html"]
                    """))
        .containsExactly(
            "berth.toml:7: routes[0].compress: an array (expected: only on a route with app ="
                + " ...)",
            "berth.toml:8: routes[0].compress_min_size: 100 (expected: only on a route with app ="
                + " ...)",
            "berth.toml:9: routes[0].compress_types: an array (expected: only on a route"
                + " with app = ...)");
  }

  private static String codings(String detail) {
    return "(expected: a list of \"zstd\", \"br\" and \"gzip\" in order of preference, each once,"
        + " or [] for none"
        + (detail.isEmpty() ? "" : ";" + detail)
        + ")";
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
