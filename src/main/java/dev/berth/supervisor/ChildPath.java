package dev.berth.supervisor;

import static java.util.Objects.requireNonNull;

import dev.berth.config.App;
import dev.berth.config.UserAccount;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Map;
import java.util.Optional;

/**
 * The PATH of an app's processes. One that runs as berth itself inherits berth's. One switched to
 * another user gets the system's default PATH instead: berth's (root's) may begin with directories
 * that user cannot read, and then a missing program reads as "Permission denied" rather than "not
 * found". The app's own PATH (its .env file, the config's {@code env}, {@code berth env set}) wins
 * over both, as it is applied later.
 */
public final class ChildPath {

  /** The default PATH of Debian's login.defs and systemd for a non-root user, sbin included. */
  public static final String SYSTEM_DEFAULT =
      "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  private ChildPath() {}

  /**
   * Sets the PATH in {@code env} (berth's own environment, before the app's variables are applied)
   * for a process that runs as {@code runAs}.
   */
  public static void forUser(Map<String, String> env, Optional<UserAccount> runAs) {
    requireNonNull(env, "env");
    if (runAs.isPresent()) {
      env.put("PATH", SYSTEM_DEFAULT);
    }
  }

  /**
   * The PATH the app's processes get, for the checks before a start: the app's own if it sets one
   * (the .env file, then the config's env, then what {@code berth env set} stored), else what
   * {@link #forUser} gives.
   *
   * @param stored what {@code berth env set} stored for the app
   * @param inherited berth's own PATH (null when it has none)
   */
  public static String of(
      App app, Map<String, String> stored, Optional<UserAccount> runAs, String inherited)
      throws IOException {
    requireNonNull(app, "app");
    requireNonNull(stored, "stored");
    // The same layers, in the same order, as the launch applies them.
    String path = runAs.isPresent() ? SYSTEM_DEFAULT : inherited;
    path = EnvFile.read(app.envFileOrDefault(), new ArrayList<>()).getOrDefault("PATH", path);
    path = app.run().env().getOrDefault("PATH", path);
    path = stored.getOrDefault("PATH", path);
    // No PATH at all: sh searches its built-in default, which is this one.
    return path == null ? SYSTEM_DEFAULT : path;
  }
}
