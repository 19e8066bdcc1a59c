package dev.berth.supervisor;

import static java.util.Objects.requireNonNull;

import dev.berth.config.UserAccount;
import dev.berth.process.CommandResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Which directory keeps a user from a path: the first one on the way from {@code /} that the user
 * cannot pass through, or the path itself when only it is closed. Asked as that user, in one run of
 * a small {@code sh} script (as {@link UserAccess} asks), so that the kernel's answer counts
 * (groups, ACLs), not a reading of mode bits; the mode shown in messages is read by berth.
 */
public final class PathAccess {

  /** What the user needs of the path itself; every directory above it must let the user pass. */
  public enum Need {
    /** Pass through it (a directory's search bit): to reach what is inside. */
    ENTER("x"),
    /** List it and pass through it: to copy or serve what is inside. */
    READ_DIRECTORY("rx"),
    /** Read it (a file). */
    READ_FILE("r");

    private final String bits;

    Need(String bits) {
      this.bits = bits;
    }
  }

  /**
   * $1: what the last path needs (r, x or rx); $2...: the path's prefixes from /, the path last.
   * Prints the 1-based index of the first prefix the user is kept out of, or 0.
   */
  private static final String FIRST_BLOCKED =
      "need=$1; shift; i=0\n"
          + "for p do\n"
          + "  i=$((i + 1))\n"
          + "  if [ \"$i\" -lt \"$#\" ]; then test -x \"$p\" || { echo \"$i\"; exit 0; }; continue; fi\n"
          + "  case $need in *r*) test -r \"$p\" || { echo \"$i\"; exit 0; };; esac\n"
          + "  case $need in *x*) test -x \"$p\" || { echo \"$i\"; exit 0; };; esac\n"
          + "done\n"
          + "echo 0\n";

  /**
   * A path a user is kept from.
   *
   * @param user who was asked for
   * @param path the path the user needs
   * @param need what the user needs of it
   * @param at the first directory on the way the user cannot pass, or {@code path} itself
   * @param mode {@code at}'s permission bits, or -1 when berth cannot read them either
   */
  public record Blocked(String user, Path path, Need need, Path at, int mode) {
    public Blocked {
      requireNonNull(user, "user");
      requireNonNull(path, "path");
      requireNonNull(need, "need");
      requireNonNull(at, "at");
    }

    /** Whether the path itself is closed, not a directory above it. */
    public boolean itself() {
      return at.equals(path);
    }

    /** Why, for a message: {@code /root is 0700}. */
    public String reason() {
      return mode < 0 ? at + " is closed to it" : at + " is " + String.format("%04o", mode);
    }

    /**
     * The smallest change of modes that lets the user in: {@code let nobody through (chmod o+x
     * /root)}, or {@code let nobody read it (chmod -R o+rX /srv/site)} for a directory closed
     * itself (what is inside is most likely closed as well).
     */
    public String opening() {
      if (!itself() || need == Need.ENTER) {
        return "let " + user + " through (chmod o+x " + at + ")";
      }
      String chmod = need == Need.READ_FILE ? "chmod o+r " : "chmod -R o+rX ";
      return "let " + user + " read it (" + chmod + at + ")";
    }
  }

  private PathAccess() {}

  /**
   * What keeps {@code user} (empty: berth itself) from {@code path}, or empty when nothing does.
   *
   * @param path an absolute path
   * @throws IOException when the check cannot run (no setpriv, say)
   */
  public static Optional<Blocked> blocked(Optional<UserAccount> user, Path path, Need need)
      throws IOException {
    requireNonNull(user, "user");
    requireNonNull(need, "need");
    if (!path.isAbsolute()) {
      throw new IllegalArgumentException("not an absolute path: " + path);
    }
    List<Path> prefixes = prefixes(path.normalize());
    List<String> arguments = new ArrayList<>(List.of(need.bits));
    prefixes.forEach(p -> arguments.add(p.toString()));
    CommandResult result =
        UserAccess.run(user, Path.of("/"), path.toString(), FIRST_BLOCKED, arguments).orThrow();
    int index;
    try {
      index = Integer.parseInt(result.stdout().strip());
    } catch (NumberFormatException e) {
      throw new IOException(result.name() + ": unexpected answer \"" + result.stdout() + "\"");
    }
    if (index < 0 || index > prefixes.size()) {
      throw new IOException(result.name() + ": unexpected answer " + index);
    }
    if (index == 0) {
      return Optional.empty();
    }
    Path at = prefixes.get(index - 1);
    return Optional.of(new Blocked(AppUser.name(user), path.normalize(), need, at, mode(at)));
  }

  /** {@code /}, {@code /a}, {@code /a/b} for {@code /a/b}. */
  private static List<Path> prefixes(Path path) {
    List<Path> prefixes = new ArrayList<>();
    Path prefix = path.getRoot();
    prefixes.add(prefix);
    for (Path name : path) {
      prefix = prefix.resolve(name);
      prefixes.add(prefix);
    }
    return prefixes;
  }

  private static int mode(Path at) {
    try {
      return (Integer) Files.getAttribute(at, "unix:mode") & 07777;
    } catch (IOException | UnsupportedOperationException e) {
      return -1;
    }
  }
}
