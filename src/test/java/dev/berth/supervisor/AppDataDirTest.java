package dev.berth.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.config.UserAccount;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The app's data directory: made once, private, kept, and given to the app's user. */
class AppDataDirTest {

  @TempDir Path state;
  private final List<String> warnings = new ArrayList<>();
  private AppDataDir dirs;

  @BeforeEach
  void dirs() {
    dirs = new AppDataDir(state, (app, line) -> warnings.add(app + ": " + line));
  }

  @Test
  void madePrivateKeptWithItsDataAndExported() throws Exception {
    Map<String, String> env = new HashMap<>();
    Path dir = dirs.prepare("web", Optional.empty(), env);
    assertThat(dir).isEqualTo(state.resolve("data/web")).isDirectory();
    assertThat(env).containsEntry("BERTH_DATA_DIR", dir.toString());
    assertThat(Files.getPosixFilePermissions(dir))
        .isEqualTo(PosixFilePermissions.fromString("rwx------"));
    Files.writeString(dir.resolve("app.db"), "rows");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));

    assertThat(dirs.prepare("web", Optional.empty(), new HashMap<>())).isEqualTo(dir);
    assertThat(dir.resolve("app.db")).hasContent("rows");
    assertThat(Files.getPosixFilePermissions(dir))
        .as("0700 again at each start")
        .isEqualTo(PosixFilePermissions.fromString("rwx------"));
    assertThat(AppDataDir.of(state, "web")).isEqualTo(dir);
    assertThat(warnings).isEmpty();
  }

  @Test
  void asRootItIsTheAppUsersAndFollowsAChangeOfUserWithoutTouchingOthersFiles() throws Exception {
    Assumptions.assumeTrue(UserAccount.currentUid() == 0, "needs root");
    UserAccount nobody = UserAccount.lookup("nobody").orElseThrow();
    Path dir = dirs.prepare("web", Optional.of(nobody), new HashMap<>());
    assertThat(uid(dir)).isEqualTo(nobody.uid());
    assertThat(uid(state.resolve("data"))).isZero();
    assertThat(Files.getPosixFilePermissions(state.resolve("data")))
        .as("other users pass through to their own")
        .isEqualTo(PosixFilePermissions.fromString("rwx--x--x"));

    // What the app wrote as nobody, and a file root put there.
    Path db = Files.writeString(dir.resolve("app.db"), "rows");
    Files.setAttribute(db, "unix:uid", (int) nobody.uid());
    Path sub = Files.createDirectory(dir.resolve("uploads"));
    Files.setAttribute(sub, "unix:uid", (int) nobody.uid());
    Path roots = Files.writeString(dir.resolve("root-owned"), "x");
    Files.createSymbolicLink(dir.resolve("link"), Path.of("/etc/hostname"));
    Files.setAttribute(
        dir.resolve("link"), "unix:uid", (int) nobody.uid(), LinkOption.NOFOLLOW_LINKS);

    // The app's user is now another: a test account, as a config's user = "..." would name.
    UserAccount other = new UserAccount("other", 4321, 4321, "/nonexistent");
    dirs.prepare("web", Optional.of(other), new HashMap<>());
    assertThat(uid(dir)).isEqualTo(4321);
    assertThat(uid(db)).isEqualTo(4321);
    assertThat(uid(sub)).isEqualTo(4321);
    assertThat(uid(dir.resolve("link"))).isEqualTo(4321);
    assertThat(uid(Path.of("/etc/hostname"))).as("a link is not followed").isZero();
    assertThat(uid(roots)).as("root's file stays root's").isZero();
    assertThat(db).hasContent("rows");
    assertThat(warnings)
        .containsExactly(
            "web: "
                + dir
                + " belonged to uid "
                + nobody.uid()
                + "; the app now runs as other: gave it and 3 entries in it to other"
                + " (nothing was removed)");

    // An app that runs as root (user = "root") gets it back as root's.
    warnings.clear();
    dirs.prepare("web", Optional.empty(), new HashMap<>());
    assertThat(uid(dir)).isZero();
    assertThat(warnings).hasSize(1);
  }

  private static long uid(Path path) throws Exception {
    return (Integer) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS);
  }
}
