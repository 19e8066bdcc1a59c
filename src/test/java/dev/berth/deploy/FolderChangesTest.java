package dev.berth.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.config.App;
import dev.berth.config.ConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an app's folder has that the release it runs does not: compared as a deploy copies it, by
 * size and content, with what the release was made of (not with what its build added).
 */
class FolderChangesTest {

  @TempDir Path tmp;

  private Path folder;
  private Path state;
  private App app;
  private Releases releases;

  @BeforeEach
  void anAppWithAFolder() throws Exception {
    folder = Files.createDirectories(tmp.resolve("shop"));
    Files.writeString(folder.resolve("app.py"), "app = 1\n");
    Files.createDirectories(folder.resolve("templates"));
    Files.writeString(folder.resolve("templates/index.html"), "<p>hi</p>\n");
    Files.createSymbolicLink(folder.resolve("current.html"), Path.of("templates/index.html"));
    Files.writeString(folder.resolve(".env"), "SECRET=1\n");
    state = tmp.resolve("state");
    Path config = tmp.resolve("berth.toml");
    Files.writeString(
        config,
        """
        state_dir = "%s"
        [[listeners]]
        address = "127.0.0.1:8080"
        [apps.shop]
        dir = "%s"
        command = "gunicorn app:app"
        """
            .formatted(state, folder));
    app = ConfigLoader.load(config).apps().get("shop");
    releases = new Releases(state, "shop");
  }

  /** A release as berth makes one: fetched, adopted (its manifest written), recorded, current. */
  private int release(String source, Path from) throws Exception {
    int n = releases.next();
    Path incoming = releases.incoming(n, false);
    new FolderTree(from, state).copyInto(incoming);
    releases.adopt(incoming, n);
    releases.record(new Releases.Release(n, Instant.now(), source, null, "hash", null, null, null));
    releases.markCurrent(n);
    return n;
  }

  /**
   * An edit, with a time of its own: a write in the same clock tick as the copy keeps the time the
   * copy has, and a same-size file is then taken as unchanged (as git's quick check does).
   */
  private static void edit(Path file, String content) throws Exception {
    Files.writeString(file, content);
    Files.setLastModifiedTime(file, FileTime.from(Instant.parse("2021-01-01T00:00:00Z")));
  }

  private Optional<FolderChanges> changes() {
    return FolderChanges.of(app, state);
  }

  @Test
  void aFolderAsItWasCopiedHasNoChangesAndATouchIsNone() throws Exception {
    release(folder.toString(), folder);
    assertThat(changes()).isEmpty();
    assertThat(Files.getPosixFilePermissions(releases.files(1)))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));

    Files.setLastModifiedTime(
        folder.resolve("app.py"), FileTime.from(Instant.parse("2020-01-01T00:00:00Z")));
    assertThat(changes()).as("same content, another time: hashed, unchanged").isEmpty();

    Files.writeString(folder.resolve(".env"), "SECRET=2\n");
    assertThat(changes()).as(".env is not copied, so not compared").isEmpty();
  }

  @Test
  void editsAdditionsAndRemovalsAreNamedButNotWhatTheBuildAdded() throws Exception {
    release(folder.toString(), folder);
    // A build's output in the release (as collectstatic or pip writes there) is not a change.
    Files.writeString(releases.dir(1).resolve("built.css"), "body {}\n");

    edit(folder.resolve("app.py"), "app = 2\n");
    Files.writeString(folder.resolve("templates/new.html"), "<p>new</p>\n");
    Files.delete(folder.resolve("current.html"));
    Files.createSymbolicLink(folder.resolve("current.html"), Path.of("templates/new.html"));
    Files.writeString(folder.resolve("templates/index.html"), "<p>hello</p>\n");

    FolderChanges changes = changes().orElseThrow();
    assertThat(changes.changed()).containsExactly("app.py", "current.html", "templates/index.html");
    assertThat(changes.added()).containsExactly("templates/new.html");
    assertThat(changes.removed()).isEmpty();
    assertThat(changes.describe())
        .isEqualTo(
            folder
                + " has changed since release 1 was copied from it (3 files changed, 1 added:"
                + " app.py, current.html, templates/index.html, templates/new.html)");

    Files.delete(folder.resolve("templates/index.html"));
    Files.writeString(folder.resolve("a.py"), "");
    Files.writeString(folder.resolve("b.py"), "");
    changes = changes().orElseThrow();
    assertThat(changes.removed()).containsExactly("templates/index.html");
    assertThat(changes.describe())
        .as("at most five names, changed first, then added, then removed")
        .endsWith(
            " (2 files changed, 3 added, 1 removed: app.py, current.html, a.py, b.py,"
                + " templates/new.html, ...)");
    Map<String, Object> fields = changes.fields();
    assertThat(fields)
        .containsEntry("dir", folder.toString())
        .containsEntry("release", 1)
        .containsEntry("changed", 2)
        .containsEntry("added", 3)
        .containsEntry("removed", 1)
        .containsEntry(
            "files", List.of("app.py", "current.html", "a.py", "b.py", "templates/new.html"))
        .containsEntry("text", changes.describe());
  }

  @Test
  void aSameSizeEditWithTheSameTimeIsTakenAsUnchangedAsGitDoes() throws Exception {
    Path file = folder.resolve("app.py");
    release(folder.toString(), folder);
    FileTime time = Files.getLastModifiedTime(file);
    Files.writeString(file, "app = 2\n");
    Files.setLastModifiedTime(file, time);
    assertThat(changes()).isEmpty();
  }

  @Test
  void aReleaseAnEarlierBerthMadeIsComparedByItsDirectoryWithoutRemovals() throws Exception {
    release(folder.toString(), folder);
    Files.delete(releases.files(1));
    Files.writeString(releases.dir(1).resolve("built.css"), "body {}\n");
    assertThat(changes()).isEmpty();

    edit(folder.resolve("app.py"), "app = 2\n");
    Files.writeString(folder.resolve("new.py"), "");
    Files.delete(folder.resolve("templates/index.html"));
    FolderChanges changes = changes().orElseThrow();
    assertThat(changes.changed()).containsExactly("app.py");
    assertThat(changes.added()).containsExactly("new.py");
    assertThat(changes.removed()).as("cannot be told from a build's output").isEmpty();
  }

  @Test
  void anAppDeployedOnlyFromElsewhereHasNoFolderToCompare() throws Exception {
    Path pushed = Files.createDirectories(tmp.resolve("pushed"));
    Files.writeString(pushed.resolve("app.py"), "app = 'pushed'\n");
    release("git push refs/heads/main", pushed);
    assertThat(changes()).as("its folder is not where its code comes from").isEmpty();
  }

  @Test
  void aReleaseFromElsewhereAfterOneOfTheFolderSaysWhereItCameFrom() throws Exception {
    release(folder.toString(), folder);
    Path pushed = Files.createDirectories(tmp.resolve("pushed"));
    new FolderTree(folder, state).copyInto(pushed);
    Files.writeString(pushed.resolve("app.py"), "app = 'pushed'\n");
    release("git push refs/heads/main", pushed);
    assertThat(changes().orElseThrow().describe())
        .isEqualTo(
            folder
                + " differs from release 2 (from git push refs/heads/main) (1 file changed:"
                + " app.py)");
  }

  @Test
  void noReleaseOrAnUnreadableFolderSaysNothing() throws Exception {
    assertThat(changes()).isEmpty();
    release(folder.toString(), folder);
    edit(folder.resolve("app.py"), "app = 2\n");
    assertThat(changes()).isPresent();
    Files.move(folder, tmp.resolve("moved"));
    assertThat(changes()).isEmpty();
  }
}
