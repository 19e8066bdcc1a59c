package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.config.UserAccount;
import dev.berth.testing.BerthProcess;
import dev.berth.testing.Exec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 25: {@code scripts/install-deps.sh} as a user without root (nobody): silent and 0 when what
 * it installs is there, one line naming the missing packages and the command to ask for when not. A
 * missing package is played by a {@code dpkg-query} first on PATH that says so for one name.
 */
class InstallDepsTest {

  @TempDir Path tmp;
  private Path script;
  private UserAccount nobody;

  @BeforeEach
  void copyOfTheScript() throws Exception {
    Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "root runs as nobody");
    nobody = UserAccount.lookup("nobody").orElseThrow();
    // The test runs as root: a copy nobody can read, in a directory it can pass.
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    script = tmp.resolve("install-deps.sh");
    Files.copy(BerthProcess.repo().resolve("scripts/install-deps.sh"), script);
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  @Test
  void allThereIsSilentForAUserWithoutRoot() throws Exception {
    // This machine has what both install (.ci/run ran the script as root).
    for (String args : List.of("", "--tests")) {
      Exec run = asNobody("/usr/bin:/bin", args);
      assertThat(run.exit()).as(args + ": " + run.output()).isZero();
      assertThat(run.output()).as(args).isEmpty();
    }
  }

  @Test
  void aMissingPackageIsNamedWithTheCommandToAskFor() throws Exception {
    Path bin = Files.createDirectories(tmp.resolve("bin"));
    Path fake = bin.resolve("dpkg-query");
    Files.writeString(
        fake,
        """
        #!/bin/sh
        # dpkg-query -W -f=... NAME: python3-flask is missing, the rest is the real answer.
        for last; do :; done
        [ "$last" = python3-flask ] && exit 1
        exec /usr/bin/dpkg-query "$@"
        """);
    Files.setPosixFilePermissions(bin, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));

    Exec run = asNobody(bin + ":/usr/bin:/bin", "");
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.output().strip())
        .isEqualTo(
            "install-deps: missing Debian packages: python3-flask; ask an administrator to run:"
                + " apt-get install --no-install-recommends python3-flask");
  }

  @Test
  void anUnknownOptionIsRefused() throws Exception {
    Exec run = asNobody("/usr/bin:/bin", "--test");
    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.output().strip()).isEqualTo("usage: scripts/install-deps.sh [--tests]");
  }

  private Exec asNobody(String path, String args) throws Exception {
    List<String> command =
        new ArrayList<>(
            List.of(
                "setpriv",
                "--reuid=" + nobody.uid(),
                "--regid=" + nobody.gid(),
                "--clear-groups",
                "--",
                "/usr/bin/env",
                "-i",
                "PATH=" + path,
                "HOME=/nonexistent",
                script.toString()));
    if (!args.isEmpty()) {
      command.add(args);
    }
    return Exec.run(tmp, Map.of(), Duration.ofMinutes(1), command);
  }
}
