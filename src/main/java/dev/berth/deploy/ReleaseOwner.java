package dev.berth.deploy;

import dev.berth.config.UserAccount;
import dev.berth.process.CommandException;
import dev.berth.process.ShortCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Optional;

/** Who owns a release on disk: the user the app runs as, so that its phases can write there. */
final class ReleaseOwner {

  private ReleaseOwner() {}

  /**
   * A root berth running the app as another user gives it the release: the build and release phases
   * write there as that user. The release's top directory is private to its owner either way.
   */
  static void own(Path dir, Optional<UserAccount> user) throws IOException, DeployException {
    if (user.isPresent()) {
      try {
        ShortCommand.of(
                "chown",
                "-R",
                "--no-dereference",
                user.get().uid() + ":" + user.get().gid(),
                dir.toString())
            .mergeStderr()
            .timeout(Duration.ofMinutes(5))
            .check();
      } catch (CommandException e) {
        switch (e.reason()) {
          case FAILED ->
              throw new DeployException(
                  "cannot give the release to user " + user.get().name(), e.lastLines());
          case TIMED_OUT ->
              throw new DeployException(
                  "cannot give the release to user " + user.get().name() + ": " + e.getMessage(),
                  e.lastLines());
          default -> throw e;
        }
      }
    }
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
  }

  /**
   * A release made when the app ran as another user (the config's user changed since) is given to
   * the user it runs as now.
   */
  static void ownedBy(Path dir, Optional<UserAccount> user) throws IOException, DeployException {
    if (user.isPresent()
        && ((Number) Files.getAttribute(dir, "unix:uid")).longValue() != user.get().uid()) {
      own(dir, user);
    }
  }
}
