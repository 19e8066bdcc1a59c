package dev.berth.config;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

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
    Process getent =
        new ProcessBuilder("getent", "passwd", nameOrUid).redirectErrorStream(true).start();
    String out;
    try (var in = getent.getInputStream()) {
      out = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
    }
    try {
      if (!getent.waitFor(10, TimeUnit.SECONDS)) {
        getent.destroyForcibly();
        throw new IOException("getent passwd " + nameOrUid + " did not answer");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    if (getent.exitValue() != 0 || out.isEmpty()) {
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

  public boolean root() {
    return uid == 0;
  }
}
