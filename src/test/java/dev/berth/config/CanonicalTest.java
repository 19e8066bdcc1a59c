package dev.berth.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CanonicalTest {

  @TempDir Path dir;

  @Test
  void sortsKeysAndWritesValuesAsText() {
    Map<String, Object> env = new LinkedHashMap<>();
    env.put("b", Duration.ofSeconds(30));
    env.put("a", List.of(1, true, Path.of("/x"), App.Balance.LEAST_CONN));

    assertThat(Canonical.json(env))
        .isEqualTo("{\"a\":[1,true,\"/x\",\"LEAST_CONN\"],\"b\":\"PT30S\"}");
    assertThat(Canonical.json(new App.HealthCheck("/h", Duration.ofSeconds(1), Duration.ZERO)))
        .isEqualTo("{\"host\":null,\"interval\":\"PT1S\",\"path\":\"/h\",\"timeout\":\"PT0S\"}");
  }

  @Test
  void equalDefinitionsHashAlikeWhateverTheOrderOfTheirEnv() throws Exception {
    App ab = load("env = { A = \"1\", B = \"2\" }\n");
    App ba = load("env = { B = \"2\", A = \"1\" }\n");
    App other = load("env = { A = \"1\", B = \"2\" }\nretries = 0\n");

    assertThat(ab.definitionHash()).hasSize(12).isEqualTo(ba.definitionHash());
    assertThat(other.definitionHash()).isNotEqualTo(ab.definitionHash());
  }

  private App load(String keys) throws Exception {
    Path file = dir.resolve("berth.toml");
    Files.writeString(
        file, "[[listeners]]\naddress = \":8080\"\n[apps.web]\ncommand = \"x\"\n" + keys);
    return ConfigLoader.load(file).apps().get("web");
  }
}
