package dev.berth.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where a config without state_dir keeps berth's state, for a user and for root. */
class DefaultStateDirTest {

  @TempDir Path tmp;

  @Test
  void aUsersBerthKeepsItBesideTheConfig() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("site"));
    assertThat(DefaultStateDir.of(dir, dir.resolve("berth.toml"), false, Map.of()))
        .isEqualTo(dir.resolve(".berth"));
  }

  @Test
  void aRootBerthKeepsItUnderVarLibBerthOnePerConfig() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("examples"));
    Path state = DefaultStateDir.of(dir, dir.resolve("berth.toml"), true, Map.of());
    assertThat(state.getParent()).isEqualTo(Path.of("/var/lib/berth"));
    assertThat(state.getFileName().toString()).matches("examples-[0-9a-f]{8}");
    assertThat(DefaultStateDir.of(dir, dir.resolve("other.toml"), true, Map.of()))
        .as("a second config in the same directory")
        .isNotEqualTo(state);
    assertThat(DefaultStateDir.of(dir, dir.resolve("berth.toml"), true, Map.of()))
        .as("stable")
        .isEqualTo(state);
  }

  @Test
  void systemdsStateDirectoryReplacesVarLibBerth() {
    Path dir = tmp.resolve("site");
    assertThat(
            DefaultStateDir.of(
                    dir,
                    dir.resolve("berth.toml"),
                    true,
                    Map.of("STATE_DIRECTORY", "/srv/a:/srv/b"))
                .getParent())
        .isEqualTo(Path.of("/srv/a"));
    assertThat(
            DefaultStateDir.of(dir, dir.resolve("berth.toml"), true, Map.of("STATE_DIRECTORY", "x"))
                .getParent())
        .as("not an absolute path: ignored")
        .isEqualTo(Path.of("/var/lib/berth"));
  }

  @Test
  void theNameIsShortAndPlain() {
    Path dir = tmp.resolve(".a very long directory name, with: punctuation");
    String name = DefaultStateDir.name(dir, dir.resolve("berth.toml"));
    assertThat(name).matches("_a_very_long_dir-[0-9a-f]{8}");
    assertThat(DefaultStateDir.name(Path.of("/"), Path.of("/berth.toml"))).startsWith("root-");
  }

  @Test
  void aRootBerthKeepsAnEarlierBerthsStateBesideTheConfig() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("site"));
    Path beside = dir.resolve(".berth");
    // Logs, sockets and empty app directories are nothing to keep.
    Files.createDirectories(beside.resolve("log"));
    Files.writeString(beside.resolve("log/berth.log"), "x");
    Files.createDirectories(beside.resolve("data/web"));
    Files.createDirectories(beside.resolve("overrides"));
    assertThat(DefaultStateDir.of(dir, dir.resolve("berth.toml"), true, Map.of()))
        .isNotEqualTo(beside);

    Files.writeString(beside.resolve("data/web/db.sqlite3"), "rows");
    assertThat(DefaultStateDir.of(dir, dir.resolve("berth.toml"), true, Map.of()))
        .isEqualTo(beside);
  }

  @Test
  void releasesAndEnvValuesCountAsState() throws Exception {
    Path releases = Files.createDirectories(tmp.resolve("a/apps/web/releases"));
    assertThat(DefaultStateDir.holdsState(tmp.resolve("a"))).isTrue();
    Files.delete(releases);
    Files.createDirectories(tmp.resolve("b/overrides"));
    Files.writeString(tmp.resolve("b/overrides/web.json"), "{}");
    assertThat(DefaultStateDir.holdsState(tmp.resolve("b"))).isTrue();
    assertThat(DefaultStateDir.holdsState(tmp.resolve("none"))).isFalse();
  }
}
