package dev.berth.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigReferenceTest {

  private static final Path DOC = Path.of("docs/configuration.md");
  private static final TomlMapper TOML = new TomlMapper();

  /**
   * Fails when docs/configuration.md is not what the declarations give; {@code
   * -Dberth.docs.write=true} writes it instead.
   */
  @Test
  void docsAreUpToDate() throws Exception {
    String generated = ConfigReference.markdown();
    if (Boolean.getBoolean("berth.docs.write")) {
      Files.createDirectories(DOC.getParent());
      Files.writeString(DOC, generated);
    }
    assertThat(DOC).exists();
    assertThat(Files.readString(DOC))
        .as(
            "docs/configuration.md is out of date: run mvn -B test -Dtest=ConfigReferenceTest"
                + " -Dberth.docs.write=true")
        .isEqualTo(generated);
  }

  @Test
  void everyKeyIsDocumented() {
    String generated = ConfigReference.markdown();
    for (Section section : Section.values()) {
      assertThat(section.intro()).as(section.title()).isNotBlank();
      assertThat(generated).contains("## " + section.title());
      for (Key<?> key : section.keys()) {
        assertThat(key.doc()).as(section + " " + key.name()).hasSizeGreaterThan(20);
        assertThat(generated).contains(key.name() + "`\n");
      }
    }
  }

  /** A default shown as a TOML value reads as the value the loader uses when the key is absent. */
  @Test
  void shownDefaultsAreTheDefaults(@TempDir Path dir) throws Exception {
    for (Section section : Section.values()) {
      for (Key<?> key : section.keys()) {
        if (key.prose() || key.example() == null) {
          continue;
        }
        assertThat(key.type().read(value(key.shownDefault()), dir))
            .as(section + " " + key.name())
            .isEqualTo(key.fallback());
      }
    }
  }

  /** Every example is a value its key accepts (paths relative to a directory that has them). */
  @Test
  void examplesAreValid(@TempDir Path dir) throws Exception {
    Files.createDirectories(dir.resolve("public"));
    Files.writeString(dir.resolve("Procfile"), "web: x\n");
    Files.writeString(dir.resolve("prod.env"), "A=1\n");
    Files.createDirectories(dir.resolve("static"));
    for (String status : new String[] {"502", "503", "504"}) {
      Files.writeString(dir.resolve("static/" + status + ".html"), "<h1>" + status + "</h1>");
    }
    for (Section section : Section.values()) {
      for (Key<?> key : section.keys()) {
        if (key.example() == null
            || key == AppKeys.DIR
            || key == AppKeys.USER
            || key == RouteKeys.APP) {
          // An absolute directory, an account and an app of this host: checked by the loader.
          continue;
        }
        key.type().read(value(key.example()), dir);
      }
    }
  }

  @Test
  void theFullExampleLoads(@TempDir Path dir) throws Exception {
    Files.createDirectories(dir.resolve("web/static"));
    Path file = dir.resolve("berth.toml");
    Files.writeString(file, ConfigReference.EXAMPLE);

    Config config = ConfigLoader.load(file);

    assertThat(config.apps()).containsOnlyKeys("web", "legacy");
    assertThat(config.routes()).hasSize(3);
  }

  private static JsonNode value(String toml) throws Exception {
    return TOML.readTree("v = " + toml).get("v");
  }
}
