package dev.berth.supervisor;

import static java.util.Objects.requireNonNull;

import dev.berth.config.UserAccount;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

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
   * $1: the program; PATH: where to look. A name with a slash is that file (relative to the working
   * directory); an empty PATH entry is the working directory, as sh takes it.
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
    requireNonNull(dir, "dir");
    List<String> argv = new ArrayList<>();
    runAs.ifPresent(
        user ->
            argv.addAll(
                List.of(
                    "setpriv", "--reuid=" + user.uid(), "--regid=" + user.gid(), "--init-groups")));
    argv.addAll(List.of("/bin/sh", "-c", script, "sh", argument));
    ProcessBuilder builder =
        new ProcessBuilder(argv)
            .directory(dir.toFile())
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(ProcessBuilder.Redirect.DISCARD);
    builder.environment().put("PATH", path);
    Process process = builder.start();
    try {
      if (!process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new IOException("checking " + argument + " as " + AppUser.name(runAs) + " timed out");
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    // setpriv itself fails with 127 (no such program) or 1 with a message we discarded: only 0
    // and 1 from the script are answers.
    return process.exitValue() == 0;
  }
}
