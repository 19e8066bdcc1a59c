package dev.berth.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.deploy.Releases;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The release {@code berth status} shows for each instance, from the directory it runs from. */
class StatusRowsTest {

  @TempDir Path state;

  @Test
  void anInstanceShowsTheReleaseOfItsDirectoryOrTheCurrentOneThatRunsThatDirectory()
      throws Exception {
    Releases releases = new Releases(state, "shop");
    Path apps = state.resolve("apps/shop");
    Files.createDirectories(releases.dir(7));
    Files.createDirectories(releases.dir(9));
    // Release 8 runs release 7's code, as a config release of berth env set does.
    Files.createSymbolicLink(releases.dir(8), Path.of("7"));

    assertThat(StatusRows.instanceRelease(releases, releases.dir(7)))
        .as("no current release yet")
        .isEqualTo(7);

    Files.createSymbolicLink(apps.resolve("current"), Path.of("releases", "8"));
    assertThat(StatusRows.instanceRelease(releases, releases.dir(7))).isEqualTo(8);
    assertThat(StatusRows.instanceRelease(releases, releases.dir(9)))
        .as("another directory than the current release's: its own number")
        .isEqualTo(9);

    Files.delete(apps.resolve("current"));
    Files.createSymbolicLink(apps.resolve("current"), Path.of("releases", "9"));
    assertThat(StatusRows.instanceRelease(releases, releases.dir(7)))
        .as("an old generation during a deploy of 9")
        .isEqualTo(7);
    assertThat(StatusRows.instanceRelease(releases, releases.dir(9))).isEqualTo(9);

    assertThat(StatusRows.instanceRelease(releases, state.resolve("srv/shop"))).isNull();
    assertThat(StatusRows.instanceRelease(releases, releases.dir(12)))
        .as("a release directory gone meanwhile")
        .isEqualTo(12);
  }
}
