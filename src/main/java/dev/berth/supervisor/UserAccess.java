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
   * the working directory); an empty PATH entry is the working directory, as sh takes it. A script
   * found is runnable only if the interpreter its {@code #!} line names is too (exit 3, with the
   * interpreter on stdout): a virtualenv's scripts name the python of the folder it was made in.
   */
  private static final String FIND =
      "set -f; p=$1\n"
          + "ok() {\n"
          + "  test -f \"$1\" && test -x \"$1\" || return 1\n"
          + "  IFS= read -r l < \"$1\" 2>/dev/null || return 0\n"
          + "  case $l in '#!'*)\n"
          + "    i=${l#??}; i=${i#\"${i%%[! ]*}\"}; i=${i%%[ \t]*}\n"
          + "    if [ -n \"$i\" ] && ! { test -f \"$i\" && test -x \"$i\"; }; then echo \"$i\"; exit 3; fi;;\n"
          + "  esac\n"
          + "}\n"
          + "case $p in */*) ok \"$p\"; exit;; esac\n"
          + "IFS=:\n"
          + "for d in $PATH; do ok \"${d:-.}/$p\" && exit 0; done\n"
          + "exit 1\n";

  /** What a user finds for a program: runnable, missing, or a script whose interpreter is not. */
  record Lookup(boolean runnable, Optional<String> interpreter) {
    static final Lookup RUNNABLE = new Lookup(true, Optional.empty());
    static final Lookup MISSING = new Lookup(false, Optional.empty());
  }

  private UserAccess() {}

  /**
   * Whether {@code program} is a file that {@code runAs} (empty: berth itself) can execute, looked
   * up on {@code path} as sh would, from {@code dir}, and so is its interpreter if it is a script.
   */
  static Lookup lookup(Optional<UserAccount> runAs, Path dir, String path, String program)
      throws IOException {
    requireNonNull(path, "path");
    requireNonNull(program, "program");
    CommandResult result = run(runAs, dir, program, "PATH=$2\n" + FIND, List.of(program, path));
    if (result.exitCode() == 0) {
      return Lookup.RUNNABLE;
    }
    if (result.exitCode() == 3 && !result.stdout().isBlank()) {
      return new Lookup(false, Optional.of(result.stdout().strip()));
    }
    return Lookup.MISSING;
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
