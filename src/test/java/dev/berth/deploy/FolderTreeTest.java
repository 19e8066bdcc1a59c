package dev.berth.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a release of an app's folder takes, and when the folder counts as changed. */
class FolderTreeTest {

  @TempDir Path tmp;

  private Path app;
  private Path state;

  @BeforeEach
  void folder() throws Exception {
    app = Files.createDirectories(tmp.resolve("app"));
    Files.writeString(app.resolve("wsgi.py"), "app = 1\n");
    Files.createDirectories(app.resolve("static/css"));
    Files.writeString(app.resolve("static/css/site.css"), "body {}\n");
    Files.createSymbolicLink(app.resolve("current.css"), Path.of("static/css/site.css"));
    Files.createDirectories(app.resolve(".git/objects"));
    Files.writeString(app.resolve(".git/HEAD"), "ref: refs/heads/main\n");
    Files.writeString(app.resolve(".env"), "SECRET=1\n");
    // berth's own state dir, as a user's berth keeps it beside a config in the app's folder.
    state = Files.createDirectories(app.resolve(".berth/log"));
    Files.writeString(state.resolve("berth.log"), "line\n");
    state = state.getParent();
  }

  @Test
  void aCopyTakesTheCodeNotGitTheEnvFileOrBerthsState() throws Exception {
    Path into = Files.createDirectory(tmp.resolve("release"));
    new FolderTree(app, state).copyInto(into);
    assertThat(into.resolve("wsgi.py")).hasContent("app = 1");
    assertThat(into.resolve("static/css/site.css")).exists();
    assertThat(Files.readSymbolicLink(into.resolve("current.css")))
        .isEqualTo(Path.of("static/css/site.css"));
    assertThat(into.resolve(".git")).doesNotExist();
    assertThat(into.resolve(".env")).doesNotExist();
    assertThat(into.resolve(".berth")).doesNotExist();
  }

  @Test
  void theFingerprintChangesWithAnEditAModeANewFileOrARemovedOne() throws Exception {
    String before = fingerprint();
    assertThat(fingerprint()).as("stable").isEqualTo(before);

    Path wsgi = app.resolve("wsgi.py");
    FileTime time = Files.getLastModifiedTime(wsgi);
    Files.writeString(wsgi, "app = 2\n");
    Files.setLastModifiedTime(wsgi, time);
    assertThat(fingerprint())
        .as("same size and time: not seen, as rsync's quick check (no file is read)")
        .isEqualTo(before);

    Files.writeString(wsgi, "app = 22\n");
    String edited = fingerprint();
    assertThat(edited).isNotEqualTo(before);

    Files.setPosixFilePermissions(wsgi, PosixFilePermissions.fromString("rwx------"));
    String moded = fingerprint();
    assertThat(moded).isNotEqualTo(edited);

    Files.writeString(app.resolve("new.py"), "");
    String added = fingerprint();
    assertThat(added).isNotEqualTo(moded);

    Files.delete(app.resolve("new.py"));
    assertThat(fingerprint()).isEqualTo(moded);

    Files.setLastModifiedTime(wsgi, FileTime.from(Instant.parse("2020-01-01T00:00:00Z")));
    assertThat(fingerprint()).as("a touch counts").isNotEqualTo(moded);
  }

  @Test
  void whatIsNotCopiedDoesNotCount() throws Exception {
    String before = fingerprint();
    Files.writeString(app.resolve(".env"), "SECRET=2\n");
    Files.writeString(app.resolve(".git/HEAD"), "ref: refs/heads/other\n");
    Files.writeString(state.resolve("log/berth.log"), "more lines\n");
    assertThat(fingerprint()).isEqualTo(before);
  }

  @Test
  void theBerthignoreLeavesOutWhatItNamesAndTheCopyCountsIt() throws Exception {
    Files.writeString(app.resolve("dev.db"), "local data");
    Files.writeString(app.resolve("keep.db"), "fixture");
    Files.createDirectories(app.resolve("node_modules/x"));
    Files.writeString(app.resolve("node_modules/x/index.js"), "");
    Files.createDirectories(app.resolve("static/cache"));
    Files.writeString(app.resolve("static/cache/keep.db"), "");
    Files.writeString(
        app.resolve(".berthignore"),
        "# local things\n*.db\n!keep.db\nnode_modules/\n/static/cache/\n");
    // Not read: the .berthignore wins.
    Files.writeString(app.resolve(".gitignore"), "wsgi.py\n");

    Path into = Files.createDirectory(tmp.resolve("release"));
    FolderTree.LeftOut leftOut = new FolderTree(app, state).copyInto(into);

    assertThat(into.resolve("dev.db")).doesNotExist();
    assertThat(into.resolve("keep.db")).exists();
    assertThat(into.resolve("node_modules")).doesNotExist();
    assertThat(into.resolve("static/cache"))
        .as("a directory left out is not entered: its keep.db is not taken back")
        .doesNotExist();
    assertThat(into.resolve("wsgi.py")).exists();
    assertThat(into.resolve(".berthignore")).exists();
    assertThat(leftOut).isEqualTo(new FolderTree.LeftOut(".berthignore", 1, 2));
    assertThat(leftOut.describe()).isEqualTo("1 file and 2 directories left out by .berthignore");
    assertThat(FolderTree.fetched(into).walk(new Names()).describe())
        .as("the release itself is taken whole")
        .isNull();
  }

  @Test
  void withoutABerthignoreTheGitignoreIsUsed() throws Exception {
    Files.writeString(app.resolve("dev.db"), "local data");
    Files.writeString(app.resolve("debug.log"), "");
    Files.writeString(app.resolve(".gitignore"), "*.db\n*.log\n");
    Names names = new Names();
    FolderTree.LeftOut leftOut = new FolderTree(app, state).walk(names);
    assertThat(names.files).contains("wsgi.py", ".gitignore").doesNotContain("dev.db", "debug.log");
    assertThat(leftOut.describe()).isEqualTo("2 left out by .gitignore");
  }

  @Test
  void whatIsLeftOutDoesNotCountInTheFingerprint() throws Exception {
    Files.writeString(app.resolve(".berthignore"), "*.db\n");
    String before = fingerprint();
    Files.writeString(app.resolve("dev.db"), "local data");
    assertThat(fingerprint()).isEqualTo(before);
    Files.writeString(app.resolve(".berthignore"), "*.sqlite\n");
    assertThat(fingerprint())
        .as("the ignore file is taken, so its edit counts")
        .isNotEqualTo(before);
  }

  @Test
  void aFetchedTreeIsTakenWhole() throws Exception {
    Files.writeString(app.resolve("dev.db"), "tracked");
    Files.writeString(app.resolve(".gitignore"), "*.db\n");
    Names names = new Names();
    assertThat(FolderTree.fetched(app).walk(names).describe()).isNull();
    assertThat(names.files).contains("dev.db");
  }

  /** The files and links a walk visits. */
  private static final class Names implements FolderTree.Visitor {
    final java.util.List<String> files = new java.util.ArrayList<>();

    @Override
    public void directory(Path dir, String relative, BasicFileAttributes attrs) {}

    @Override
    public void file(Path file, String relative, BasicFileAttributes attrs) {
      files.add(relative);
    }
  }

  private String fingerprint() throws Exception {
    return new FolderTree(app, state).fingerprint();
  }
}
