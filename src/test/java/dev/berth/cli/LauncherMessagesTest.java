package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.testing.BerthProcess;
import dev.berth.testing.Exec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 25: a user without root on a host with no JDK 21+ (or no Maven to build the jar) learns
 * from {@code ./berth}, in one line, what to ask the administrator for. The launcher runs in a
 * mount namespace of its own where /usr/lib/jvm is empty, with a PATH that has only the machine's
 * older java (17) and, or not, mvn.
 */
class LauncherMessagesTest {

  /** What the launcher itself calls, for a PATH without java and mvn. */
  private static final List<String> TOOLS =
      List.of(
          "bash", "env", "readlink", "dirname", "sed", "sort", "find", "head", "apt-cache", "cat");

  @TempDir Path tmp;
  private Path launcher;

  @BeforeEach
  void copyOfTheLauncher() throws Exception {
    Assumptions.assumeTrue(
        "root".equals(System.getProperty("user.name")), "root mounts over /usr/lib/jvm");
    Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/unshare")), "unshare");
    // A checkout with no jar yet: the launcher needs a JDK, and Maven to build it.
    launcher = tmp.resolve("berth/berth");
    Files.createDirectories(launcher.getParent());
    Files.copy(BerthProcess.repo().resolve("berth"), launcher);
  }

  @Test
  void noJdkSaysWhichPackageToAskForOrWhereToUnpackOne() throws Exception {
    Exec run = launch("/usr/bin:/bin", true);
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.output().lines()).as(run.output()).hasSize(1);
    assertThat(run.output())
        .startsWith(
            "berth: no JDK 21 or newer found (looked at $BERTH_JAVA, $JAVA_HOME, PATH and"
                + " /usr/lib/jvm): ")
        .containsAnyOf(
            "ask an administrator to run 'apt-get install openjdk-",
            "in your home and set BERTH_JAVA to its bin/java")
        .as("Maven is there: not asked for")
        .doesNotContain("maven");
  }

  @Test
  void noJdkAndNoMavenAsksForBoth() throws Exception {
    Exec run = launch(tools().toString(), true);
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.output().lines()).as(run.output()).hasSize(1);
    assertThat(run.output()).startsWith("berth: no JDK 21 or newer found").contains("maven");
  }

  @Test
  void aJdkButNoMavenToBuildTheJar() throws Exception {
    Exec run = launch(tools().toString(), false);
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.output().strip())
        .isEqualTo(
            "berth: target/berth.jar must be built and Maven (mvn) is not installed: ask an"
                + " administrator to run 'apt-get install maven'");
  }

  /** A directory with links to what the launcher calls, but no java and no mvn. */
  private Path tools() throws Exception {
    Path bin = Files.createDirectories(tmp.resolve("bin"));
    for (String tool : TOOLS) {
      Path target = Path.of("/usr/bin", tool);
      if (!Files.exists(target)) {
        target = Path.of("/bin", tool);
      }
      Files.createSymbolicLink(bin.resolve(tool), target);
    }
    return bin;
  }

  /** {@code berth --version} with this PATH, /usr/lib/jvm emptied when {@code hideJdks}. */
  private Exec launch(String path, boolean hideJdks) throws Exception {
    List<String> command = new ArrayList<>(List.of("/usr/bin/unshare", "--mount", "/bin/sh", "-c"));
    command.add(
        (hideJdks ? "mount -t tmpfs none /usr/lib/jvm && " : "")
            + "exec /usr/bin/env -i PATH=\"$1\" HOME=\"$2\" \"$3\" --version");
    command.addAll(List.of("sh", path, tmp.toString(), launcher.toString()));
    return Exec.run(tmp, Map.of(), Duration.ofMinutes(1), command);
  }
}
