package dev.berth.config;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;

/**
 * Where a unix-socket listener accepts connections, and who may connect: the socket file's path,
 * its mode, and its group.
 *
 * @param path absolute and normalized
 * @param mode the file's permission bits, 0 to 0777 (connecting takes write permission)
 * @param group the group the file is given, or null to leave it the one the file gets (in a setgid
 *     directory, the directory's)
 */
public record UnixSocket(Path path, int mode, String group) {

  /**
   * Owner and group may connect: the front server's group, through socket_group or a setgid dir.
   */
  public static final int DEFAULT_MODE = 0660;

  public UnixSocket {
    requireNonNull(path, "path");
    if (!path.isAbsolute()) {
      throw new IllegalArgumentException("not an absolute path: " + path);
    }
    if (mode < 0 || mode > 0777) {
      throw new IllegalArgumentException("not a permission mode: " + Integer.toOctalString(mode));
    }
  }

  /** At {@code path}, with the default mode and group. */
  public UnixSocket(Path path) {
    this(path, DEFAULT_MODE, null);
  }

  /** The mode as berth.toml writes it: "0660". */
  public String modeText() {
    return String.format("%04o", mode);
  }
}
