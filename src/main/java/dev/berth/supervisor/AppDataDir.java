package dev.berth.supervisor;

import static java.util.Objects.requireNonNull;

import dev.berth.config.UserAccount;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Each app's persistent data directory, {@code <state_dir>/data/APP}: outside its releases, so that
 * what the app writes there (a sqlite file, uploads) stays across deploys, rollbacks and restarts.
 * Its processes find it in {@code BERTH_DATA_DIR}. It is made at the app's start if missing,
 * private to the app's user (0700), and berth never removes it, not even with the app.
 *
 * <p>When the app's user changed (the directory belongs to another uid), berth does what systemd
 * does for a unit's {@code StateDirectory=}: it gives the directory and what the old user owned in
 * it to the new user, and says so. Entries owned by anyone else (root's, say) are left alone, so a
 * link an app planted there cannot make berth chown a file that was never the app's.
 */
public final class AppDataDir {

  /** The variable that tells an app's processes where their data directory is. */
  public static final String VARIABLE = "BERTH_DATA_DIR";

  private static final String PRIVATE = "rwx------";

  private final Path base;
  private final BiConsumer<String, String> warn;

  /**
   * @param stateDir berth's state directory; the data directories go in its {@code data}
   * @param warn told (app, line) what was changed on an existing directory (its owner)
   */
  public AppDataDir(Path stateDir, BiConsumer<String, String> warn) {
    this.base = requireNonNull(stateDir, "stateDir").resolve("data");
    this.warn = requireNonNull(warn, "warn");
  }

  /** The data directory of the app in this state directory (whether it exists yet or not). */
  public static Path of(Path stateDir, String app) {
    return stateDir.resolve("data").resolve(requireNonNull(app, "app"));
  }

  /**
   * Makes the app's data directory ready for a process that runs as {@code runAs} (empty: as berth
   * itself), and puts its path in {@code env}; called before each of the app's processes starts.
   */
  public Path prepare(String app, Optional<UserAccount> runAs, Map<String, String> env)
      throws IOException {
    Path dir = prepare(app, runAs);
    env.put(VARIABLE, dir.toString());
    return dir;
  }

  /** {@link #prepare(String, Optional, Map)} without the environment. */
  Path prepare(String app, Optional<UserAccount> runAs) throws IOException {
    requireNonNull(runAs, "runAs");
    Consumer<String> warn = line -> this.warn.accept(app, line);
    boolean root = UserAccount.currentUid() == 0;
    if (!Files.isDirectory(base)) {
      Files.createDirectories(base.getParent());
      try {
        Files.createDirectory(base, PosixFilePermissions.asFileAttribute(perms(PRIVATE)));
      } catch (FileAlreadyExistsException e) {
        // Another app's first start made it meanwhile.
      }
    }
    // A root berth's apps run as other users, who pass through (x, not r) to their own.
    Files.setPosixFilePermissions(base, perms(root ? "rwx--x--x" : PRIVATE));
    Path dir = base.resolve(requireNonNull(app, "app"));
    boolean made = false;
    try {
      Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(perms(PRIVATE)));
      made = true;
    } catch (FileAlreadyExistsException e) {
      // Kept from an earlier start: that is the point.
    }
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      throw new IOException(dir + " is not a directory (the app's data directory)");
    }
    if (runAs.isPresent()) {
      adopt(dir, runAs.get(), made ? line -> {} : warn);
    } else if (root) {
      // An app that runs as root (user = "root"): root's directory, whoever had it before.
      adopt(dir, new UserAccount("root", 0, 0, "/root"), warn);
    }
    Files.setPosixFilePermissions(dir, perms(PRIVATE));
    return dir;
  }

  /** Gives the directory, and what its previous owner owned in it, to {@code user}. */
  private static void adopt(Path dir, UserAccount user, Consumer<String> warn) throws IOException {
    int before = (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    if (before == user.uid()) {
      if ((Integer) Files.getAttribute(dir, "unix:gid", LinkOption.NOFOLLOW_LINKS) != user.gid()) {
        Files.setAttribute(dir, "unix:gid", (int) user.gid(), LinkOption.NOFOLLOW_LINKS);
      }
      return;
    }
    int[] changed = {0};
    Files.walkFileTree(
        dir,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs)
              throws IOException {
            own(d);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            own(file);
            return FileVisitResult.CONTINUE;
          }

          private void own(Path path) throws IOException {
            // Not followed: a symbolic link is chowned itself, never what it points at.
            if ((Integer) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS)
                == before) {
              Files.setAttribute(path, "unix:uid", (int) user.uid(), LinkOption.NOFOLLOW_LINKS);
              Files.setAttribute(path, "unix:gid", (int) user.gid(), LinkOption.NOFOLLOW_LINKS);
              changed[0]++;
            }
          }
        });
    warn.accept(
        dir
            + " belonged to uid "
            + before
            + "; the app now runs as "
            + user.name()
            + ": gave it and "
            + (changed[0] - 1)
            + " entr"
            + (changed[0] == 2 ? "y" : "ies")
            + " in it to "
            + user.name()
            + " (nothing was removed)");
  }

  private static java.util.Set<java.nio.file.attribute.PosixFilePermission> perms(String mode) {
    return PosixFilePermissions.fromString(mode);
  }
}
