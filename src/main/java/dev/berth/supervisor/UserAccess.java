package dev.berth.supervisor;

import static java.util.Objects.requireNonNull;

import dev.berth.config.UserAccount;
import dev.berth.process.CommandResult;
import dev.berth.process.ShortCommand;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a user may do with a file, asked as that user: a tiny {@code sh} script run the way the
 * app's processes run ({@code setpriv} to its uid, gid and groups), so that the answer takes in
 * everything the kernel looks at (each directory's search bit on the way, supplementary groups,
 * ACLs, read-only and noexec mounts), not a guess from mode bits. Only the exit code is used; the
 * script writes nothing.
 */
final class UserAccess {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  /**
   * $1: the program; $2, set as PATH: where to look. A name with a slash is that file (relative to
   * the working directory); an empty PATH entry is the working directory, as sh takes it.
   */
  private static final String FIND =
      "set -f; p=$1\n"
          + "case $p in */*) test -f \"$p\" && test -x \"$p\"; exit;; esac\n"
          + "IFS=:\n"
          + "for d in $PATH; do test -f \"${d:-.}/$p\" && test -x \"${d:-.}/$p\" && exit 0; done\n"
          + "exit 1\n";

  private static final String WRITABLE = "test -d \"$1\" && test -w \"$1\" && test -x \"$1\"";

  private UserAccess() {}

  /**
   * Whether {@code program} is a file that {@code runAs} (empty: berth itself) can execute, looked
   * up on {@code path} as sh would, from {@code dir}.
   */
  static boolean canRun(Optional<UserAccount> runAs, Path dir, String path, String program)
      throws IOException {
    requireNonNull(path, "path");
    requireNonNull(program, "program");
    return test(runAs, dir, path, FIND, program);
  }

  /** Whether {@code runAs} (empty: berth itself) can create files in {@code dir}. */
  static boolean canWrite(Optional<UserAccount> runAs, Path dir) throws IOException {
    return test(runAs, dir, ChildPath.SYSTEM_DEFAULT, WRITABLE, dir.toString());
  }

  private static boolean test(
      Optional<UserAccount> runAs, Path dir, String path, String script, String argument)
      throws IOException {
    // The PATH to search is the script's second argument, not the child's environment: the
    // command itself (setsid, setpriv) is found on berth's.
    CommandResult result = run(runAs, dir, argument, "PATH=$2\n" + script, List.of(argument, path));
    // setpriv itself fails with 127 (no such program) or 1: only 0 from the script is a yes.
    return result.exitCode() == 0;
  }

  /**
   * Runs {@code script} with {@code sh -c} as {@code runAs} (empty: berth itself), from {@code
   * dir}, with {@code arguments} as $1, $2...
   *
   * @param about what is checked, for the command's name in errors
   */
  static CommandResult run(
      Optional<UserAccount> runAs, Path dir, String about, String script, List<String> arguments)
      throws IOException {
    requireNonNull(runAs, "runAs");
    requireNonNull(dir, "dir");
    List<String> argv = new ArrayList<>(List.of("/bin/sh", "-c", script, "sh"));
    argv.addAll(arguments);
    ShortCommand check =
        ShortCommand.of(argv)
            .named("checking " + about + " as " + AppUser.name(runAs))
            .directory(dir)
            .timeout(TIMEOUT);
    runAs.ifPresent(user -> check.runAs(user.runAs()));
    return check.run();
  }
}
