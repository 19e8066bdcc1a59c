package dev.berth.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.config.UserAccount;
import dev.berth.supervisor.PathAccess.Blocked;
import dev.berth.supervisor.PathAccess.Need;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which directory keeps a user from a path, asked as that user: as root (as CI runs), of nobody,
 * with directories closed to others on the way; and of berth itself, which root is never kept from.
 */
class PathAccessTest {

  @TempDir Path tmp;

  private Optional<UserAccount> nobody;

  @BeforeEach
  void asRoot() throws Exception {
    Assumptions.assumeTrue(UserAccount.currentUid() == 0, "needs root, to ask as nobody");
    nobody = UserAccount.lookup("nobody");
    assertThat(nobody).isPresent();
    chmod(tmp, "rwxr-xr-x");
  }

  @Test
  void theFirstDirectoryClosedOnTheWayIsNamedWithItsMode() throws Exception {
    Path closed = Files.createDirectories(tmp.resolve("closed/deeper/site"));
    chmod(tmp.resolve("closed"), "rwx------");
    chmod(tmp.resolve("closed/deeper"), "rwx------");

    Blocked blocked = PathAccess.blocked(nobody, closed, Need.READ_DIRECTORY).orElseThrow();
    assertThat(blocked.at()).isEqualTo(tmp.resolve("closed"));
    assertThat(blocked.reason()).isEqualTo(tmp.resolve("closed") + " is 0700");
    assertThat(blocked.itself()).isFalse();
    assertThat(blocked.user()).isEqualTo("nobody");
    assertThat(blocked.opening())
        .isEqualTo("let nobody through (chmod o+x " + tmp.resolve("closed") + ")");

    // Only search is needed on the way: 0711 lets nobody through to the next closed one.
    chmod(tmp.resolve("closed"), "rwx--x--x");
    assertThat(PathAccess.blocked(nobody, closed, Need.ENTER).orElseThrow().reason())
        .isEqualTo(tmp.resolve("closed/deeper") + " is 0700");
    chmod(tmp.resolve("closed/deeper"), "rwx--x--x");
    assertThat(PathAccess.blocked(nobody, closed, Need.READ_DIRECTORY)).isEmpty();
  }

  @Test
  void aPathClosedItselfIsNamedWhenEverythingAboveIsOpen() throws Exception {
    Path site = Files.createDirectory(tmp.resolve("site"));
    chmod(site, "rwx--x--x");
    Blocked dir = PathAccess.blocked(nobody, site, Need.READ_DIRECTORY).orElseThrow();
    assertThat(dir.itself()).isTrue();
    assertThat(dir.reason()).isEqualTo(site + " is 0711");
    assertThat(dir.opening()).isEqualTo("let nobody read it (chmod -R o+rX " + site + ")");
    assertThat(PathAccess.blocked(nobody, site, Need.ENTER)).as("x is enough to enter").isEmpty();

    Path secret = Files.writeString(site.resolve("secret.env"), "KEY=1\n");
    chmod(secret, "rw-------");
    Blocked file = PathAccess.blocked(nobody, secret, Need.READ_FILE).orElseThrow();
    assertThat(file.reason()).isEqualTo(secret + " is 0600");
    assertThat(file.opening()).isEqualTo("let nobody read it (chmod o+r " + secret + ")");
    chmod(secret, "rw-r--r--");
    assertThat(PathAccess.blocked(nobody, secret, Need.READ_FILE)).isEmpty();
  }

  @Test
  void theUsersOwnDirectoriesAreOpenToIt() throws Exception {
    Path own = Files.createDirectories(tmp.resolve("own/site"));
    chmod(tmp.resolve("own"), "rwx------");
    chmod(own, "rwx------");
    Files.setAttribute(tmp.resolve("own"), "unix:uid", (int) nobody.orElseThrow().uid());
    Files.setAttribute(own, "unix:uid", (int) nobody.orElseThrow().uid());
    assertThat(PathAccess.blocked(nobody, own, Need.READ_DIRECTORY)).isEmpty();
  }

  @Test
  void berthItselfIsAskedWithoutSwitchingUser() throws Exception {
    Path closed = Files.createDirectories(tmp.resolve("closed/site"));
    chmod(tmp.resolve("closed"), "rwx------");
    chmod(closed, "---------");
    assertThat(PathAccess.blocked(Optional.empty(), closed, Need.READ_DIRECTORY))
        .as("root reads all")
        .isEmpty();
    assertThat(PathAccess.blocked(Optional.empty(), Path.of("/"), Need.ENTER)).isEmpty();
  }

  private static void chmod(Path path, String modes) throws Exception {
    Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(modes));
  }
}
