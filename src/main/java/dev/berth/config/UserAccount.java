package dev.berth.config;

import static java.util.Objects.requireNonNull;

import dev.berth.process.CommandResult;
import dev.berth.process.RunAs;
import dev.berth.process.ShortCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * A system account, as the name service knows it ({@code getent passwd}, so LDAP accounts of a lab
 * work too): what berth needs to run an app as that user.
 */
public record UserAccount(String name, long uid, long gid, String home) {

  public UserAccount {
    requireNonNull(name, "name");
    requireNonNull(home, "home");
  }

  /** The account with this name or numeric uid, if there is one. */
  public static Optional<UserAccount> lookup(String nameOrUid) throws IOException {
    CommandResult getent =
        ShortCommand.of("getent", "passwd", nameOrUid)
            .named("getent passwd " + nameOrUid)
            .timeout(Duration.ofSeconds(10))
            .run();
    String out = getent.stdout().strip();
    if (!getent.ok() || out.isEmpty()) {
      return Optional.empty();
    }
    // name:password:uid:gid:gecos:home:shell
    String[] fields = out.lines().findFirst().orElse("").split(":", -1);
    if (fields.length < 7) {
      return Optional.empty();
    }
    return Optional.of(
        new UserAccount(
            fields[0], Long.parseLong(fields[2]), Long.parseLong(fields[3]), fields[5]));
  }

  /** The real uid of this process (berth), from /proc. */
  public static long currentUid() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          return Long.parseLong(line.substring(4).trim().split("\\s+")[0]);
        }
      }
    } catch (IOException | RuntimeException e) {
      // Not Linux: fall through.
    }
    return -1;
  }

  /** The uid and gid to run a command as this user. */
  public RunAs runAs() {
    return new RunAs(uid, gid);
  }

  public boolean root() {
    return uid == 0;
  }
}
