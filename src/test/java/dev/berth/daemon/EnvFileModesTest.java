package dev.berth.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.config.ConfigLoader;
import dev.berth.testing.Cli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An app's .env file that other local users can read is warned about by {@code berth check} and
 * {@code berth up} (as ssh refuses a private key that is not private), with the fix: it does not
 * stop a start.
 */
class EnvFileModesTest {

  @TempDir Path tmp;

  private Path shop;

  @BeforeEach
  void folder() throws Exception {
    shop = Files.createDirectory(tmp.resolve("shop"));
  }

  private Path config(String extra) throws Exception {
    return Files.writeString(
        tmp.resolve("berth.toml"),
        """
        state_dir = "%s/state"

        [[listeners]]
        address = "127.0.0.1:8080"

        [apps.shop]
        dir = "%s"
        command = "/bin/sleep 100"
        user = "root"
        %s
        """
            .formatted(tmp, shop, extra));
  }

  private List<String> warnings(Path config) throws Exception {
    return PreflightChecks.of(ConfigLoader.load(config)).warnings();
  }

  private static Path secrets(Path file, String mode) throws Exception {
    Files.writeString(file, "SECRET_KEY=abc\nDB_PASSWORD=def\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
    return file;
  }

  private static String group(Path file) throws Exception {
    return Files.readAttributes(file, java.nio.file.attribute.PosixFileAttributes.class)
        .group()
        .getName();
  }

  @Test
  void theDefaultEnvFileReadableByOthersIsWarnedAboutAtItsAppsDir() throws Exception {
    Path config = config("");
    assertThat(warnings(config)).as("no .env, nothing to say").isEmpty();

    Path env = secrets(shop.resolve(".env"), "rw-r--r--");
    assertThat(warnings(config))
        .containsExactly(
            "berth.toml:7: apps.shop.dir: its .env "
                + env
                + " is readable by group "
                + group(env)
                + " and others (mode 0644): chmod 600 "
                + env
                + ", or keep secrets with 'berth env shop set' (stored 0600)");

    Files.setPosixFilePermissions(env, PosixFilePermissions.fromString("rw-------"));
    assertThat(warnings(config)).isEmpty();
  }

  @Test
  void anEnvFileReadableByItsGroupIsWarnedAboutAtItsKeyAndCheckStillPasses() throws Exception {
    Path env = secrets(tmp.resolve("shop.env"), "rw-r-----");
    Path config = config("env_file = \"" + env + "\"");
    String warning =
        "berth.toml:10: apps.shop.env_file: "
            + env
            + " is readable by group "
            + group(env)
            + " (mode 0640): chmod 600 "
            + env
            + ", or keep secrets with 'berth env shop set' (stored 0600)";
    assertThat(warnings(config)).containsExactly(warning);
    // The .env in the dir is not read when env_file names another file.
    secrets(shop.resolve(".env"), "rw-r--r--");
    assertThat(warnings(config)).containsExactly(warning);

    Cli check = Cli.run(config, "check");
    assertThat(check.exit()).as("a warning, not a refusal").isZero();
    assertThat(check.err()).isEqualTo("berth: WARNING: " + warning);

    Files.setPosixFilePermissions(env, PosixFilePermissions.fromString("r--------"));
    assertThat(warnings(config)).isEmpty();
  }
}
