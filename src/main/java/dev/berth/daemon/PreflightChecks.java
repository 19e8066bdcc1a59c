package dev.berth.daemon;

import static java.util.Objects.requireNonNull;

import dev.berth.config.App;
import dev.berth.config.Config;
import dev.berth.config.ConfigException;
import dev.berth.config.ConfigLines;
import dev.berth.config.ConfigLoader;
import dev.berth.config.UserAccount;
import dev.berth.deploy.AppPlacer;
import dev.berth.deploy.Releases;
import dev.berth.supervisor.AppChecks;
import dev.berth.supervisor.Overrides;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The checks of a valid config against this host, before any app starts ({@code berth check},
 * {@code berth up}, a reload that starts apps): each app as it will run (from its current release
 * once it was deployed, with the user and PATH its processes get), in the loader's words: {@code
 * berth.toml:7: apps.web.command: gunicorn: not found for user nobody (PATH=...)}; and what berth's
 * user and the apps' users must reach ({@link AccessChecks}). An error means the app cannot start;
 * a warning, that a check could not be made, that a route would break its app's links ({@link
 * StripPrefixCheck}), or that an app's .env file is readable by other users ({@link EnvFileModes}).
 */
public final class PreflightChecks {

  /** What was found: errors stop a start, warnings are said and the start goes on. */
  public record Report(List<String> errors, List<String> warnings) {
    public Report {
      errors = List.copyOf(errors);
      warnings = List.copyOf(warnings);
    }

    public boolean ok() {
      return errors.isEmpty();
    }
  }

  private PreflightChecks() {}

  /** Every app and static route of the config berth runs. */
  public static Report of(Config config) {
    return of(config, Optional.empty());
  }

  /**
   * Every app and static route, with berth's own reads (each dir, env_file and static root) asked
   * as {@code berth}: empty for this process; a user, so that a test run as root can check what a
   * berth that is not root would find.
   */
  static Report of(Config config, Optional<UserAccount> berth) {
    requireNonNull(config, "config");
    Checks checks = new Checks(config, berth);
    checks.apps(config.apps().values());
    checks.access.staticRoots(config.routes());
    checks.warnings.addAll(
        StripPrefixCheck.warnings(
            config.routes(),
            name -> {
              App app = config.apps().get(name);
              return app == null ? null : whereItRuns(config.stateDir(), app);
            },
            checks.lines));
    return checks.report();
  }

  /** These apps of the config (a reload's added and changed ones). */
  static Report of(Config config, Collection<App> apps) {
    requireNonNull(config, "config");
    Checks checks = new Checks(config, Optional.empty());
    checks.apps(apps);
    return checks.report();
  }

  /** One run of the checks, collecting what they find. */
  private static final class Checks {
    private final Config config;
    private final ConfigLines lines;
    private final List<String> errors = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();
    private final AccessChecks access;

    Checks(Config config, Optional<UserAccount> berth) {
      this.config = config;
      this.lines = ConfigLines.of(config);
      this.access = new AccessChecks(lines, berth, errors, warnings);
    }

    void apps(Collection<App> apps) {
      access.stateDir(config.stateDir(), apps);
      Overrides overrides = new Overrides(config.stateDir().resolve("overrides"));
      for (App configured : apps) {
        if (configured.external()) {
          continue;
        }
        EnvFileModes.warning(configured, lines).ifPresent(warnings::add);
        if (!access.app(configured)) {
          continue;
        }
        String name = configured.name();
        App app = whereItRuns(config.stateDir(), configured);
        List<AppChecks.Finding> findings;
        try {
          Map<String, String> stored = overrides.env(name);
          findings = AppChecks.of(app, stored);
        } catch (IOException | UncheckedIOException e) {
          // No such user, say: its start says so too; the rest of the config is still checked.
          String key =
              ConfigLines.appKey(name, configured.run().user() == null ? "command" : "user");
          warnings.add(lines.problem(key, e.getMessage() + " (not checked)"));
          continue;
        }
        for (AppChecks.Finding finding : findings) {
          errors.add(lines.problem(key(app, finding), message(app, finding)));
        }
      }
    }

    Report report() {
      return new Report(errors, warnings);
    }
  }

  /** The apps a reload starts: the added ones and the changed ones (a new generation each). */
  static List<App> starting(ConfigChange change) {
    List<App> apps = new ArrayList<>(change.addedApps());
    change.changedApps().forEach(c -> apps.add(c.after()));
    return apps;
  }

  /**
   * The config key a finding is about. A command a Procfile gave (not the config) is reported at
   * the config's {@code procfile} key, its message naming the process type.
   */
  private static String key(App app, AppChecks.Finding finding) {
    if (fromProcfile(app, finding)) {
      return ConfigLines.appKey(app.name(), "procfile");
    }
    return ConfigLines.appKey(app.name(), finding.key().toArray(String[]::new));
  }

  private static String message(App app, AppChecks.Finding finding) {
    if (!fromProcfile(app, finding)) {
      return finding.message();
    }
    String type = finding.key().size() == 1 ? "web" : finding.key().get(1);
    return type + ": " + finding.message();
  }

  private static boolean fromProcfile(App app, AppChecks.Finding finding) {
    App.Deploy deploy = app.deploy();
    if (deploy.procfile() == null) {
      return false;
    }
    if (finding.key().size() == 1) {
      return !deploy.configCommand();
    }
    String type = finding.key().get(1);
    return deploy.processTable().stream()
        .noneMatch(p -> p.name().equals(type) && !p.command().isEmpty());
  }

  /**
   * The app as {@code berth up} will start it: from its current release if it runs that as it is
   * and the release can run, else from a new copy of its folder, which is checked in the folder.
   */
  private static App whereItRuns(Path stateDir, App configured) {
    OptionalInt current = AppPlacer.runsAsIs(stateDir, configured);
    Releases releases = new Releases(stateDir, configured.name());
    if (current.isEmpty() || !Files.isDirectory(releases.dir(current.getAsInt()))) {
      return configured;
    }
    try {
      return ConfigLoader.forRelease(configured, releases.dir(current.getAsInt()));
    } catch (ConfigException e) {
      return configured;
    }
  }
}
