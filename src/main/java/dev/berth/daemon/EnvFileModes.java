package dev.berth.daemon;

import static java.util.Objects.requireNonNull;

import dev.berth.config.App;
import dev.berth.config.ConfigLines;
import dev.berth.config.UserAccount;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Optional;
import java.util.Set;

/**
 * An app's {@code .env} file (its {@code env_file}, or the {@code .env} in its dir that berth reads
 * without one) that other local users can read, as a warning: as ssh refuses a private key that is
 * not private, but without refusing, so that a berth that ran yesterday still starts. On a shared
 * host homes are often 0755: such a file gives every user the app's secrets.
 */
final class EnvFileModes {

  private EnvFileModes() {}

  /**
   * The warning for the app's env file, if it is a file that its group or others may read: {@code
   * berth.toml:14: apps.shop.env_file: /home/alice/shop/.env is readable by others (mode 0644):
   * chmod 600 it, or keep secrets with 'berth env shop set' (stored 0600)}.
   */
  static Optional<String> warning(App app, ConfigLines lines) {
    requireNonNull(app, "app");
    requireNonNull(lines, "lines");
    Path file = app.envFileOrDefault();
    PosixFileAttributes attrs;
    try {
      attrs = Files.readAttributes(file, PosixFileAttributes.class);
    } catch (IOException | UnsupportedOperationException e) {
      // None (the usual case without env_file), or unreadable: the access checks say so.
      return Optional.empty();
    }
    if (!attrs.isRegularFile()) {
      return Optional.empty();
    }
    Set<PosixFilePermission> mode = attrs.permissions();
    boolean group = mode.contains(PosixFilePermission.GROUP_READ);
    boolean others = mode.contains(PosixFilePermission.OTHERS_READ);
    if (!group && !others) {
      return Optional.empty();
    }
    String readers =
        (group ? "group " + attrs.group().getName() : "")
            + (group && others ? " and " : "")
            + (others ? "others" : "");
    boolean given = app.run().envFile() != null;
    String key = ConfigLines.appKey(app.name(), given ? "env_file" : "dir");
    return Optional.of(
        lines.problem(
            key,
            (given ? "" : "its .env ")
                + file
                + " is readable by "
                + readers
                + " (mode "
                + octal(mode)
                + "): "
                + fix(file)
                + ", or keep secrets with 'berth env "
                + app.name()
                + " set' (stored 0600)"));
  }

  /**
   * chmod 600, when berth can still read the file then: it owns it, or it is root. A file another
   * user gives to berth's user through its group would become unreadable to it.
   */
  private static String fix(Path file) {
    long uid = UserAccount.currentUid();
    if (uid == 0 || ownedByMe(file)) {
      return "chmod 600 " + file;
    }
    return "make it private to berth's user (chown "
        + System.getProperty("user.name", Long.toString(uid))
        + " "
        + file
        + "; chmod 600 "
        + file
        + ")";
  }

  private static boolean ownedByMe(Path file) {
    try {
      return ((Number) Files.getAttribute(file, "unix:uid")).longValue()
          == UserAccount.currentUid();
    } catch (IOException | RuntimeException e) {
      return true;
    }
  }

  /** 0644, from the permission bits. */
  private static String octal(Set<PosixFilePermission> mode) {
    int bits = 0;
    for (PosixFilePermission p : mode) {
      bits |= 1 << (8 - p.ordinal());
    }
    return String.format(java.util.Locale.ROOT, "0%03o", bits);
  }
}
