package dev.berth.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The on-disk store of one app's releases: numbering, metadata, current, pruning. */
class ReleasesTest {

  @TempDir Path state;

  private Releases releases() {
    return new Releases(state, "blog");
  }

  /** A release as a deploy makes it: fetched, adopted, recorded. */
  private int make(Releases releases, String revision) throws Exception {
    int n = releases.next();
    Path incoming = releases.incoming(n, false);
    Files.writeString(incoming.resolve("VERSION"), "v" + n);
    releases.adopt(incoming, n);
    releases.record(
        new Releases.Release(
            n,
            Instant.parse("2026-11-24T19:35:03Z"),
            "/srv/blog",
            revision,
            "abc123def456",
            1.5,
            null,
            null));
    return n;
  }

  @Test
  void theReleaseAnAppRunsIsTheNumberOfItsDirectory() {
    assertThat(Releases.number(releases().dir(12))).isEqualTo(OptionalInt.of(12));
    assertThat(Releases.number(Path.of("/var/lib/berth/x/apps/blog/releases/3")))
        .isEqualTo(OptionalInt.of(3));
    // Anything else runs from no release: a folder, a release being fetched, a path too short.
    for (String dir :
        new String[] {
          "/srv/blog",
          "/srv/blog/releases/3",
          "/var/lib/berth/x/apps/blog/releases/.incoming-3",
          "/var/lib/berth/x/apps/blog/releases/03",
          "/var/lib/berth/x/apps/blog/current",
          "/apps/releases/3",
          "releases/3",
          "/"
        }) {
      assertThat(Releases.number(Path.of(dir))).as(dir).isEmpty();
    }
  }

  @Test
  void releasesAreNumberedRecordedAndPointedAt() throws Exception {
    Releases releases = releases();
    assertThat(releases.list()).isEmpty();
    assertThat(releases.current()).isEmpty();
    assertThat(releases.next()).isEqualTo(1);

    assertThat(make(releases, "9b1e2f0a")).isEqualTo(1);
    assertThat(make(releases, null)).isEqualTo(2);
    releases.markCurrent(2);

    assertThat(releases.current()).isEqualTo(OptionalInt.of(2));
    assertThat(Files.readSymbolicLink(state.resolve("apps/blog/current")))
        .isEqualTo(Path.of("releases/2"));
    assertThat(releases.list())
        .containsExactly(
            new Releases.Release(
                1,
                Instant.parse("2026-11-24T19:35:03Z"),
                "/srv/blog",
                "9b1e2f0a",
                "abc123def456",
                1.5,
                null,
                null),
            new Releases.Release(
                2,
                Instant.parse("2026-11-24T19:35:03Z"),
                "/srv/blog",
                null,
                "abc123def456",
                1.5,
                null,
                null));
    assertThat(Files.readString(releases.dir(2).resolve("VERSION"))).isEqualTo("v2");
    assertThat(Files.getPosixFilePermissions(state.resolve("apps/blog/releases/2.json")))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));

    releases.markCurrent(1);
    assertThat(releases.current()).isEqualTo(OptionalInt.of(1));
  }

  @Test
  void pruningKeepsTheNewestAndAlwaysTheCurrentOne() throws Exception {
    Releases releases = releases();
    for (int i = 0; i < 5; i++) {
      make(releases, null);
    }
    releases.markCurrent(2);
    assertThat(releases.prune(2)).containsExactly(1, 3);
    assertThat(releases.list()).extracting(Releases.Release::number).containsExactly(2, 4, 5);
    assertThat(releases.dir(1)).doesNotExist();
    assertThat(state.resolve("apps/blog/releases/3.json")).doesNotExist();
    // Numbers go on from the highest there is.
    assertThat(releases.next()).isEqualTo(6);
  }

  @Test
  void whatAnInterruptedDeployLeftIsNotAReleaseAndIsRemovedByTheNext() throws Exception {
    Releases releases = releases();
    make(releases, null);
    Path left = releases.incoming(2, false);
    Files.writeString(left.resolve("half"), "x");
    // A directory without metadata (killed between adopt and record): not listed, but its number is
    // taken.
    Files.createDirectories(releases.dir(3));
    Files.setPosixFilePermissions(
        Files.createDirectories(releases.dir(3).resolve("readonly")),
        PosixFilePermissions.fromString("r-x------"));

    assertThat(releases.list()).extracting(Releases.Release::number).containsExactly(1);
    assertThat(releases.next()).isEqualTo(4);
    Path incoming = releases.incoming(4, false);
    assertThat(left).doesNotExist();
    assertThat(incoming).isEmptyDirectory();
    releases.discard(3);
    assertThat(releases.dir(3)).doesNotExist();
  }
}
