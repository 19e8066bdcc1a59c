package dev.berth.deploy;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.supervisor.PrivateFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The {@code berth env set} variables in force when each release of an app was made, so that a
 * rollback can put them back: {@code <state_dir>/apps/APP/env/N.json}, mode 0600 in a 0700
 * directory (the values are often secrets; the release directories above are passable by the apps'
 * users). Never shown by any command. The config file's own {@code env} table and the app's {@code
 * .env} are not berth's to version: only what berth stored is recorded here.
 */
final class ReleaseEnv {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;

  ReleaseEnv(Path dir) {
    this.dir = requireNonNull(dir, "dir");
  }

  /** Records release {@code number}'s variables (written aside and renamed). */
  void record(int number, Map<String, String> env) throws IOException {
    requireNonNull(env, "env");
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(
          dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
    // Also when it existed with other permissions (made by hand, or by a umask): it holds secrets.
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    PrivateFile.write(file(number), JSON.writeValueAsBytes(new TreeMap<>(env)));
  }

  /**
   * Release {@code number}'s variables; empty when it has no record (made before berth recorded
   * them, or unreadable).
   */
  Optional<Map<String, String>> of(int number) {
    Path file = file(number);
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try {
      Map<String, String> env =
          JSON.readValue(file.toFile(), new TypeReference<TreeMap<String, String>>() {});
      return Optional.of(env == null ? Map.of() : env);
    } catch (IOException | RuntimeException e) {
      // Edited by hand into something else: no record rather than a wrong one.
      return Optional.empty();
    }
  }

  void discard(int number) throws IOException {
    Files.deleteIfExists(file(number));
  }

  private Path file(int number) {
    return dir.resolve(number + ".json");
  }
}
