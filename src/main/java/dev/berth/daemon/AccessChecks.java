package dev.berth.daemon;

import static java.util.Objects.requireNonNull;

import dev.berth.config.App;
import dev.berth.config.ConfigLines;
import dev.berth.config.Route;
import dev.berth.config.UserAccount;
import dev.berth.supervisor.AppChecks;
import dev.berth.supervisor.PathAccess;
import dev.berth.supervisor.PathAccess.Blocked;
import dev.berth.supervisor.PathAccess.Need;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What berth's own user and the apps' users must reach before anything starts, as errors in the
 * loader's words. Berth's user reads each app's {@code dir} (it copies it into a release), each
 * {@code env_file} (it reads the variables at each start) and each static route's root (the edge
 * serves it). Each app's user passes through every directory above {@code state_dir}, where its
 * release, socket and data are (berth sets the modes of state_dir and below). A path that does not
 * exist is the loader's to report, not these checks'.
 */
final class AccessChecks {

  private final ConfigLines lines;
  private final Optional<UserAccount> berth;
  private final List<String> errors;
  private final List<String> warnings;

  /**
   * @param berth whom berth's own reads are asked as: empty for this process
   * @param errors where the errors go
   * @param warnings where a check that could not be made is said
   */
  AccessChecks(
      ConfigLines lines, Optional<UserAccount> berth, List<String> errors, List<String> warnings) {
    this.lines = requireNonNull(lines, "lines");
    this.berth = requireNonNull(berth, "berth");
    this.errors = requireNonNull(errors, "errors");
    this.warnings = requireNonNull(warnings, "warnings");
  }

  /**
   * The app's dir and env_file, read by berth's user.
   *
   * @return whether berth can read them (else the app's other checks would only fail on them)
   */
  boolean app(App app) {
    String dirKey = ConfigLines.appKey(app.name(), "dir");
    Optional<Blocked> dir = blocked(dirKey, app.run().dir(), Need.READ_DIRECTORY);
    dir.ifPresent(
        b ->
            error(
                dirKey,
                notReadable(b)
                    + "; berth copies it into a release as "
                    + b.user()
                    + ": "
                    + b.opening()
                    + " or move the app"));
    Path envFile = app.run().envFile();
    if (envFile == null) {
      return dir.isEmpty();
    }
    String envKey = ConfigLines.appKey(app.name(), "env_file");
    Optional<Blocked> env = blocked(envKey, envFile, Need.READ_FILE);
    env.ifPresent(
        b ->
            error(
                envKey,
                notReadable(b)
                    + "; berth reads it as "
                    + b.user()
                    + " at each start: "
                    + (b.itself()
                        // A file of secrets is better given than opened to everyone.
                        ? "give it to " + b.user() + " (chown " + b.user() + " " + envFile + ")"
                        : b.opening() + " or move the file")));
    return dir.isEmpty() && env.isEmpty();
  }

  /** Each static route's root, read by berth's user (the edge serves it). */
  void staticRoots(List<Route> routes) {
    for (int i = 0; i < routes.size(); i++) {
      if (!(routes.get(i).target() instanceof Route.StaticTarget target)) {
        continue;
      }
      String key = ConfigLines.routeKey(i, "static");
      blocked(key, target.root(), Need.READ_DIRECTORY)
          .ifPresent(
              b ->
                  error(
                      key,
                      notReadable(b)
                          + "; the edge serves it as "
                          + b.user()
                          + ": "
                          + b.opening()
                          + " or move the files"));
    }
  }

  /**
   * The directories above state_dir, passed through by each app's user other than berth's (once per
   * user, naming its apps). Those not made yet are berth's to make: the nearest one that is there
   * is checked.
   */
  void stateDir(Path stateDir, Collection<App> apps) {
    Path parent = stateDir.toAbsolutePath().normalize().getParent();
    while (parent != null && !Files.isDirectory(parent)) {
      parent = parent.getParent();
    }
    if (parent == null) {
      return;
    }
    for (Map.Entry<UserAccount, List<String>> user : otherUsers(apps).entrySet()) {
      Optional<Blocked> blocked;
      try {
        blocked = PathAccess.blocked(Optional.of(user.getKey()), parent, Need.ENTER);
      } catch (IOException e) {
        warnings.add(lines.problem("state_dir", e.getMessage() + " (not checked)"));
        continue;
      }
      blocked.ifPresent(
          b ->
              error(
                  "state_dir",
                  stateDir
                      + " is not reachable by user "
                      + b.user()
                      + " ("
                      + b.reason()
                      + "); "
                      + runAs(user.getValue(), b.user())
                      + " and "
                      + (user.getValue().size() == 1
                          ? "finds its release, socket and data"
                          : "find their releases, sockets and data")
                      + " there: "
                      + stateDirFix(stateDir, b)));
    }
  }

  /**
   * How to let the apps' users reach the state: a root berth's own choice reaches it (when the
   * config chose), a {@code .berth} beside the config that a root berth keeps using because an
   * earlier berth kept state in it (when the config did not), or opening the way.
   */
  private String stateDirFix(Path stateDir, Blocked blocked) {
    if (lines.written("state_dir")) {
      return "leave state_dir unset (a root berth keeps its state under /var/lib/berth) or "
          + blocked.opening();
    }
    Path name = stateDir.getFileName();
    if (name != null && name.toString().equals(".berth")) {
      return "it holds what an earlier berth kept; move it away (a root berth then keeps its state"
          + " under /var/lib/berth) or "
          + blocked.opening();
    }
    return blocked.opening();
  }

  /** The apps' users other than berth's own, each with its apps' keys, in config order. */
  private Map<UserAccount, List<String>> otherUsers(Collection<App> apps) {
    Map<Long, UserAccount> byUid = new LinkedHashMap<>();
    Map<UserAccount, List<String>> users = new LinkedHashMap<>();
    for (App app : apps) {
      if (app.external()) {
        continue;
      }
      Optional<UserAccount> user;
      try {
        user = AppChecks.user(app);
      } catch (IOException e) {
        continue; // said once already, with the app's other checks
      }
      if (user.isEmpty() || berth.map(b -> b.uid() == user.get().uid()).orElse(false)) {
        continue;
      }
      UserAccount account = byUid.computeIfAbsent(user.get().uid(), uid -> user.get());
      users.computeIfAbsent(account, a -> new ArrayList<>()).add(ConfigLines.appKey(app.name()));
    }
    return users;
  }

  /** "apps.web runs as nobody", "apps.web and apps.api run as nobody". */
  private static String runAs(List<String> apps, String user) {
    int n = apps.size();
    String names =
        n == 1
            ? apps.get(0)
            : String.join(", ", apps.subList(0, n - 1)) + " and " + apps.get(n - 1);
    return names + (n == 1 ? " runs as " : " run as ") + user;
  }

  private Optional<Blocked> blocked(String key, Path path, Need need) {
    if (Files.notExists(path)) {
      return Optional.empty();
    }
    try {
      return PathAccess.blocked(berth, path, need);
    } catch (IOException e) {
      warnings.add(lines.problem(key, e.getMessage() + " (not checked)"));
      return Optional.empty();
    }
  }

  private static String notReadable(Blocked blocked) {
    return blocked.path()
        + " is not readable by user "
        + blocked.user()
        + " ("
        + blocked.reason()
        + ")";
  }

  private void error(String key, String message) {
    errors.add(lines.problem(key, message));
  }
}
