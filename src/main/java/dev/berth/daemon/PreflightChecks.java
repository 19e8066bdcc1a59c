package dev.berth.daemon;

import static java.util.Objects.requireNonNull;

import dev.berth.config.App;
import dev.berth.config.Config;
import dev.berth.config.ConfigException;
import dev.berth.config.ConfigLines;
import dev.berth.config.ConfigLoader;
import dev.berth.deploy.AppPlacer;
import dev.berth.deploy.Releases;
import dev.berth.supervisor.AppChecks;
import dev.berth.supervisor.AppDataDir;
import dev.berth.supervisor.Overrides;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The checks of a valid config against this host, before any app starts ({@code berth check},
 * {@code berth up}, a reload that starts apps): each app as it will run (from its current release
 * once it was deployed, with the user and PATH its processes get), in the loader's words: {@code
 * berth.toml:7: apps.web.command: gunicorn: not found for user nobody (PATH=...)}. An error means
 * the app cannot start; a warning means it starts and will likely fail later (a dir it cannot write
 * to).
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

  /** Every app of the config berth runs. */
  public static Report of(Config config) {
    return of(config, config.apps().values());
  }

  /** These apps of the config (a reload's added and changed ones). */
  static Report of(Config config, Collection<App> apps) {
    requireNonNull(config, "config");
    ConfigLines lines = ConfigLines.of(config);
    Overrides overrides = new Overrides(config.stateDir().resolve("overrides"));
    List<String> errors = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    for (App configured : apps) {
      if (configured.external()) {
        continue;
      }
      String name = configured.name();
      App app = whereItRuns(config.stateDir(), configured);
      List<AppChecks.Finding> findings;
      try {
        Map<String, String> stored = overrides.env(name);
        findings = AppChecks.of(app, stored, AppDataDir.of(config.stateDir(), name));
      } catch (IOException | UncheckedIOException e) {
        // No such user, say: its start says so too; the rest of the config is still checked.
        String key = ConfigLines.appKey(name, configured.run().user() == null ? "command" : "user");
        warnings.add(lines.problem(key, e.getMessage() + " (not checked)"));
        continue;
      }
      for (AppChecks.Finding finding : findings) {
        String line = lines.problem(key(app, finding), message(app, finding));
        (finding.error() ? errors : warnings).add(line);
      }
    }
    return new Report(errors, warnings);
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
    if (deploy.procfile() == null || finding.key().get(0).equals("dir")) {
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
