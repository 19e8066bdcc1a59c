package dev.berth.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.config.App;
import dev.berth.config.ConfigLoader;
import dev.berth.supervisor.Overrides;
import dev.berth.testing.BerthProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Config releases on disk: {@code berth env set} as a release that runs the code of the one before
 * (never a copy), its env recorded privately, what changed by name only, pruning that never takes
 * the code a kept release runs, and what a rollback does with the env.
 */
class ConfigReleasesTest {

  @TempDir Path state;

  private Releases releases() {
    return new Releases(state, "blog");
  }

  /** A code release as a deploy makes it, with the env in force recorded. */
  private int deploy(Releases releases, Map<String, String> env) throws Exception {
    int n = releases.next();
    Path incoming = releases.incoming(n, false);
    Files.writeString(incoming.resolve("VERSION"), "v" + n);
    releases.adopt(incoming, n);
    releases.env().record(n, env);
    releases.record(
        new Releases.Release(
            n, Instant.now(), "/srv/blog", "9b1e2f0a", "abc123", 1.5, 0.5, "fp" + n));
    releases.markCurrent(n);
    return n;
  }

  private App app(int keep) throws Exception {
    Path config =
        BerthProcess.write(
            state.resolve("berth.toml"),
            """
            [[listeners]]
            address = "127.0.0.1:1"

            [apps.blog]
            dir = "%s"
            command = "/usr/bin/gunicorn wsgi:app"
            keep_releases = %d
            """
                .formatted(state, keep));
    return ConfigLoader.load(config).apps().get("blog");
  }

  @Test
  void changesNameTheVariablesNeverTheirValues() {
    assertThat(
            ConfigReleases.changes(
                Map.of("DEBUG", "1", "KEEP", "same", "SECRET", "old"),
                Map.of("KEEP", "same", "SECRET", "new", "DATABASE_URL", "postgresql:///x")))
        .isEqualTo("set DATABASE_URL, SECRET; unset DEBUG");
    assertThat(ConfigReleases.changes(Map.of("A", "1"), Map.of("A", "1"))).isEmpty();
    assertThat(ConfigReleases.changes(Map.of(), Map.of("A", "1"))).isEqualTo("set A");
    assertThat(ConfigReleases.changes(Map.of("A", "1"), Map.of())).isEqualTo("unset A");
  }

  @Test
  void anEnvChangeIsAReleaseThatRunsTheCodeItRanWithItsEnvRecordedPrivately() throws Exception {
    Releases releases = releases();
    deploy(releases, Map.of("DEBUG", "1"));
    ConfigReleases config = new ConfigReleases(state);

    Optional<ConfigReleases.Made> made =
        config.record(app(5), Map.of("SECRET", "hunter2"), "set SECRET; unset DEBUG", 0.25);

    assertThat(made).map(ConfigReleases.Made::number).contains(2);
    assertThat(releases.current()).isEqualTo(OptionalInt.of(2));
    // Not a copy: the release's directory is the code's.
    assertThat(Files.readSymbolicLink(state.resolve("apps/blog/releases/2")))
        .isEqualTo(Path.of("1"));
    assertThat(releases.dir(2)).isEqualTo(releases.dir(1));
    assertThat(releases.code(2)).isEqualTo(1);
    assertThat(Files.readString(state.resolve("apps/blog/current/VERSION"))).isEqualTo("v1");
    Releases.Release two = releases.find(2).orElseThrow();
    assertThat(two.kind()).isEqualTo(Releases.Kind.CONFIG);
    assertThat(two.code()).isEqualTo(1);
    assertThat(two.changes()).isEqualTo("set SECRET; unset DEBUG");
    assertThat(two.fields())
        .containsEntry("kind", "config")
        .containsEntry("code", 1)
        .containsEntry("changes", "set SECRET; unset DEBUG")
        .doesNotContainValue("hunter2");
    // The code's: berth up runs no phase again, and sees the folder's copy as it was.
    assertThat(two.buildSeconds()).isEqualTo(1.5);
    assertThat(two.releaseSeconds()).isEqualTo(0.25);
    assertThat(two.fingerprint()).isEqualTo("fp1");
    assertThat(releases.find(1).orElseThrow().kind()).isEqualTo(Releases.Kind.CODE);

    assertThat(releases.env().of(2)).contains(Map.of("SECRET", "hunter2"));
    assertThat(releases.env().of(1)).contains(Map.of("DEBUG", "1"));
    Path envDir = state.resolve("apps/blog/env");
    assertThat(Files.getPosixFilePermissions(envDir))
        .isEqualTo(PosixFilePermissions.fromString("rwx------"));
    assertThat(Files.getPosixFilePermissions(envDir.resolve("2.json")))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThat(Files.readString(state.resolve("apps/blog/releases/2.json")))
        .doesNotContain("hunter2");

    // Instances that run release 1's directory run release 2, the current one.
    assertThat(releases.runFrom(releases.dir(1))).hasValue(2);
    assertThat(releases.runFrom(state.resolve("elsewhere"))).isEmpty();

    // A second change runs the same code (a link to 1, not to 2).
    config.record(app(5), Map.of("SECRET", "x"), "set SECRET", null);
    assertThat(Files.readSymbolicLink(state.resolve("apps/blog/releases/3")))
        .isEqualTo(Path.of("1"));
    // Skipped release phase: the times of the release it was made on.
    assertThat(releases.find(3).orElseThrow().releaseSeconds()).isEqualTo(0.25);
  }

  @Test
  void noCurrentReleaseNoConfigRelease() throws Exception {
    assertThat(new ConfigReleases(state).record(app(5), Map.of("A", "1"), "set A", null)).isEmpty();
    assertThat(releases().list()).isEmpty();
  }

  @Test
  void pruningKeepsTheCodeAKeptReleaseRunsAndRemovesItOnceNoneDoes() throws Exception {
    Releases releases = releases();
    deploy(releases, Map.of());
    ConfigReleases config = new ConfigReleases(state);
    config.record(app(2), Map.of("A", "1"), "set A", null);
    ConfigReleases.Made made = config.record(app(2), Map.of("A", "2"), "set A", null).orElseThrow();

    // Release 1 is pruned from the list, but 2 and 3 run its code: its directory stays.
    assertThat(made.pruned()).containsExactly(1);
    assertThat(releases.list()).extracting(Releases.Release::number).containsExactly(2, 3);
    assertThat(Files.readString(releases.dir(3).resolve("VERSION"))).isEqualTo("v1");
    assertThat(releases.files(3)).exists();
    assertThat(releases.env().of(1)).isEmpty();

    // A deploy, then pruning past every release that ran release 1's code: it goes.
    deploy(releases, Map.of());
    assertThat(releases.prune(1)).containsExactly(2, 3);
    assertThat(state.resolve("apps/blog/releases/1")).doesNotExist();
    assertThat(state.resolve("apps/blog/releases/1.files")).doesNotExist();
    assertThat(state.resolve("apps/blog/releases/2")).doesNotExist();
    assertThat(releases.list()).extracting(Releases.Release::number).containsExactly(4);
    assertThat(releases.next()).isEqualTo(5);
  }

  @Test
  void discardingAConfigReleaseLeavesTheCodeItRan() throws Exception {
    Releases releases = releases();
    deploy(releases, Map.of());
    new ConfigReleases(state).record(app(5), Map.of("A", "1"), "set A", null);

    releases.markCurrent(1);
    releases.discard(2);

    assertThat(releases.list()).extracting(Releases.Release::number).containsExactly(1);
    assertThat(Files.readString(releases.dir(1).resolve("VERSION"))).isEqualTo("v1");
    assertThat(releases.files(1)).exists();
    assertThat(releases.env().of(2)).isEmpty();
  }

  @Test
  void aRollbackPutsBackTheRecordedEnvOrSaysThereIsNone() throws Exception {
    Releases releases = releases();
    deploy(releases, Map.of("DEBUG", "1"));
    int old = releases.next();
    releases.adopt(releases.incoming(old, false), old);
    releases.record(
        new Releases.Release(old, Instant.now(), "/srv/blog", null, "h", null, null, null));

    ConfigReleases.EnvRestore back =
        ConfigReleases.EnvRestore.of(releases, 1, Map.of("DATABASE_URL", "x"));
    assertThat(back.changed()).isTrue();
    assertThat(back.describe())
        .isEqualTo("restored to release 1's (set DEBUG; unset DATABASE_URL)");

    ConfigReleases.EnvRestore same =
        ConfigReleases.EnvRestore.of(releases, 1, Map.of("DEBUG", "1"));
    assertThat(same.changed()).isFalse();
    assertThat(same.describe()).isEqualTo("unchanged (release 1's is the one in force)");

    ConfigReleases.EnvRestore none = ConfigReleases.EnvRestore.of(releases, old, Map.of("A", "1"));
    assertThat(none.changed()).isFalse();
    assertThat(none.describe())
        .isEqualTo(
            "left as it is: release "
                + old
                + " has no env record (made before berth recorded them)");
  }

  @Test
  void theEnvInForceIsWhatEnvSetStored() {
    new Overrides(state.resolve("overrides"))
        .changeEnv("blog", Map.of("A", "1"), java.util.List.of());
    assertThat(new ConfigReleases(state).inForce("blog")).isEqualTo(Map.of("A", "1"));
    assertThat(new ConfigReleases(state).inForce("other")).isEmpty();
  }
}
