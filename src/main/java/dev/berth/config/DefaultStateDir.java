package dev.berth.config;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/**
 * Where berth keeps its state when the config does not say ({@code state_dir} unset).
 *
 * <ul>
 *   <li>A berth run by a user: {@code .berth} beside the config file. The apps run as that user,
 *       who can reach it wherever the config is.
 *   <li>A root berth: {@code /var/lib/berth/NAME-HASH}, one per config (NAME: the config's
 *       directory, HASH: of the config file's path). Its apps run as other users ({@code nobody}),
 *       who must pass through every directory above their releases and sockets: a checkout in
 *       {@code /root} (0700) or in a private temporary directory would shut them out. When systemd
 *       gives berth a state directory ({@code $STATE_DIRECTORY}), that replaces {@code
 *       /var/lib/berth}.
 *   <li>Except: a root berth whose {@code .berth} beside the config holds what an earlier berth
 *       kept there (releases, app data, {@code berth env} values) keeps using it, so that nothing
 *       is lost; the preflight checks say when its apps cannot reach it.
 * </ul>
 */
final class DefaultStateDir {

  static final Path SYSTEM_BASE = Path.of("/var/lib/berth");

  /** The per-config directory name: at most this much of the config directory's name. */
  private static final int NAME_LENGTH = 16;

  private DefaultStateDir() {}

  /**
   * @param configDir the directory of the config file (absolute)
   * @param configFile the config file (absolute), whose path names the state dir of a root berth
   * @param root whether berth runs as root
   * @param env berth's environment ({@code STATE_DIRECTORY})
   */
  static Path of(Path configDir, Path configFile, boolean root, Map<String, String> env) {
    requireNonNull(configDir, "configDir");
    requireNonNull(configFile, "configFile");
    requireNonNull(env, "env");
    Path beside = configDir.resolve(".berth");
    if (!root || holdsState(beside)) {
      return beside;
    }
    return base(env).resolve(name(configDir, configFile));
  }

  /** The directory state dirs of root berths go in. */
  static Path base(Map<String, String> env) {
    String given = env.getOrDefault("STATE_DIRECTORY", "");
    // systemd separates several directories with colons: the first is berth's.
    String first = given.split(":", -1)[0];
    return first.startsWith("/") ? Path.of(first) : SYSTEM_BASE;
  }

  /** {@code examples-1f2e3d4c}: readable, and distinct for two configs in one directory. */
  static String name(Path configDir, Path configFile) {
    Path last = configDir.getFileName();
    String name = last == null ? "root" : last.toString().replaceAll("[^A-Za-z0-9._-]", "_");
    if (name.startsWith(".")) {
      name = "_" + name.substring(1);
    }
    if (name.length() > NAME_LENGTH) {
      name = name.substring(0, NAME_LENGTH);
    }
    return name + "-" + hash(real(configFile).toString());
  }

  /**
   * Whether an earlier berth kept something in {@code dir} that must not be left behind: a release,
   * a file in an app's data directory, a value set with {@code berth env}. Logs, sockets and empty
   * directories do not count.
   */
  static boolean holdsState(Path dir) {
    return nonEmptyChild(dir.resolve("apps"))
        || nonEmptyChild(dir.resolve("data"))
        || nonEmpty(dir.resolve("overrides"));
  }

  /** Whether a directory under {@code dir} has anything in it. */
  private static boolean nonEmptyChild(Path dir) {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (DirectoryStream<Path> children = Files.newDirectoryStream(dir)) {
      for (Path child : children) {
        if (Files.isDirectory(child) && nonEmpty(child)) {
          return true;
        }
      }
    } catch (IOException e) {
      // Unreadable: nothing berth could use either.
    }
    return false;
  }

  private static boolean nonEmpty(Path dir) {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (DirectoryStream<Path> children = Files.newDirectoryStream(dir)) {
      return children.iterator().hasNext();
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * The file's real path when it exists (symlinks resolved), so that every way to name it agrees.
   */
  private static Path real(Path file) {
    try {
      return file.toRealPath();
    } catch (IOException e) {
      return file.toAbsolutePath().normalize();
    }
  }

  private static String hash(String text) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 4);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
