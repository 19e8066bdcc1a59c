package dev.berth.deploy;

import static java.util.Objects.requireNonNull;

import dev.berth.config.App;
import dev.berth.config.ConfigException;
import dev.berth.config.ConfigLoader;
import dev.berth.config.UserAccount;
import dev.berth.logs.Logs;
import dev.berth.supervisor.Supervisor;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Deploys, rollbacks and redeploys of the apps berth runs: <b>the deploy flow</b>. A deploy makes a
 * release (copy -> build -> release phase), then has the supervisor start a new generation from it,
 * switch the traffic to it once every instance is ready, and drain and stop the old one ({@link
 * Supervisor#replaceGeneration}). Any failure before the switch leaves the old generation serving,
 * and the release is removed. One operation per app at a time: a second one fails at once ({@link
 * Supervisor#exclusive}), as do restart, scale, env, start and stop meanwhile.
 */
public final class Deployer {

  private static final System.Logger LOG = System.getLogger(Deployer.class.getName());
  static final Duration FETCH_TIMEOUT = Duration.ofMinutes(10);

  private final Supervisor supervisor;
  private final Logs logs;
  private final Path stateDir;
  private final Consumer<String> say;
  private final AppPlacer placer;
  private final ConfigReleases configReleases;

  /** Each app's definition as the config gives it (dir: the configured one), by name. */
  private final Map<String, App> definitions = new ConcurrentHashMap<>();

  /** Where a deploy's steps and its build and release output go, as they happen. */
  public interface Progress {
    /** A step line: {@code -----> build pip install -r requirements.txt}. */
    void step(String line);

    /** A line a build, release phase, git or tar wrote; {@code source} says which. */
    void output(String source, String line);
  }

  /**
   * What to deploy.
   *
   * @param source an absolute path (directory, tarball, repository) or a git URL; null for the
   *     app's configured dir
   * @param ref the git ref to check out, or null for HEAD
   * @param revision recorded instead of the one found (a git push hook's commit), or null
   * @param sourceLabel recorded instead of the source's description, or null
   */
  public record Request(String source, String ref, String revision, String sourceLabel) {}

  /**
   * How it went: ok with the release now current (0 when an app without releases was redeployed
   * from its dir), or the failure: the reason and the last lines of the failing process's output.
   */
  public record Result(boolean ok, int release, String failure) {
    static Result done(int release) {
      return new Result(true, release, null);
    }

    static Result failed(String failure) {
      return new Result(false, 0, failure);
    }
  }

  /**
   * @param definitions the config's apps
   * @param say berth's own output (a line per deploy outcome)
   */
  public Deployer(
      Supervisor supervisor,
      Logs logs,
      Path stateDir,
      Collection<App> definitions,
      Consumer<String> say) {
    this.supervisor = requireNonNull(supervisor, "supervisor");
    this.logs = requireNonNull(logs, "logs");
    this.stateDir = requireNonNull(stateDir, "stateDir");
    this.say = requireNonNull(say, "say");
    this.placer = new AppPlacer(supervisor, stateDir, this::appLog);
    this.configReleases = new ConfigReleases(stateDir);
    definitions.stream()
        .filter(app -> !app.external())
        .forEach(app -> this.definitions.put(app.name(), app));
  }

  /**
   * A reload added the app, or made it one that berth runs: deploys and rollbacks use this
   * definition from now on.
   */
  public void define(App configured) {
    requireNonNull(configured, "configured");
    if (!configured.external()) {
      definitions.put(configured.name(), configured);
    }
  }

  /**
   * A reload removed the app, or made it one that berth only proxies to. Its releases stay on disk.
   */
  public void forget(String app) {
    definitions.remove(requireNonNull(app, "app"));
  }

  /** Whether the config defines the app as one berth runs (running, or held back at start). */
  public boolean defines(String app) {
    return definitions.containsKey(app);
  }

  /** The releases of an app. */
  public Releases releases(String app) {
    return new Releases(stateDir, app);
  }

  /**
   * The app as berth starts it ({@code berth up}, a reload that adds it): placed in a release, or
   * held with the reason ({@link AppPlacer#runnable}).
   */
  public AppPlacer.Placed runnable(App configured, Consumer<String> say, Consumer<String> warn) {
    return placer.runnable(configured, say, warn);
  }

  /**
   * What the app's folder has that the release it runs does not, when its code comes from the
   * folder: edits that {@code berth restart} (the same release again) does not make live.
   */
  public Optional<FolderChanges> folderChanges(String name) {
    App definition = definitions.get(name);
    return definition == null ? Optional.empty() : FolderChanges.of(definition, stateDir);
  }

  /**
   * Deploys a new release of the app.
   *
   * @throws IllegalArgumentException for a source that is none berth can deploy, or an app berth
   *     does not run
   * @throws IllegalStateException at once, when the app is busy with another deploy, restart...
   */
  public Result deploy(String name, Request request, Progress progress) {
    requireNonNull(request, "request");
    requireNonNull(progress, "progress");
    App definition = definitions.get(name);
    if (definition == null) {
      // Also an app berth up held back (its release phase failed): a deploy starts it.
      throw new IllegalArgumentException("no app \"" + name + "\" run by this berth");
    }
    Source source =
        Source.of(
            request.source() == null ? definition.run().dir().toString() : request.source(),
            request.ref());
    try (Supervisor.Exclusive exclusive = supervisor.exclusive(name, "deploy")) {
      return deploy(definition, source, request, progress);
    }
  }

  private Result deploy(App definition, Source source, Request request, Progress progress) {
    String name = definition.name();
    long begun = System.nanoTime();
    Releases releases = releases(name);
    int number = 0;
    boolean made = false;
    try {
      number = releases.next();
      String label = request.sourceLabel() != null ? request.sourceLabel() : source.describe();
      appLog(name, "deploy: release " + number + " from " + label);
      Optional<UserAccount> user = supervisor.appUser(definition);
      // A root berth runs apps as other users (this one, or another app's): they must pass
      // through to their releases, whichever app deployed first.
      Path incoming = releases.incoming(number, UserAccount.currentUid() == 0);
      made = true;
      long fetching = System.nanoTime();
      // A release of the app's own folder remembers how the folder was, so that `berth up` can
      // tell whether it changed since.
      String fingerprint =
          isFolder(source, definition.run().dir())
              ? new FolderTree(definition.run().dir(), stateDir).fingerprint()
              : null;
      Source.Fetched fetched =
          source.fetch(incoming, stateDir, FETCH_TIMEOUT, line -> progress.output("fetch", line));
      Path dir = releases.adopt(incoming, number);
      ReleaseOwner.own(dir, user);
      String verb =
          switch (source.kind()) {
            case DIRECTORY -> "copy";
            case TARBALL -> "unpack";
            case GIT -> "clone";
          };
      String revision = request.revision() != null ? request.revision() : fetched.revision();
      progress.step(
          line(
              verb,
              fetched.description()
                  + (revision == null ? "" : " (" + shortRevision(revision) + ")")
                  + ", "
                  + size(fetched.bytes())
                  + " in "
                  + fetched.files()
                  + " files"
                  + (fetched.leftOut() == null ? "" : ", " + fetched.leftOut())
                  + " -> release "
                  + number,
              since(fetching)));
      App app = forRelease(definition, dir);
      ReleasePhases.Times times = ReleasePhases.run(supervisor, app, number, true, true, progress);
      // Recorded before the switch: after it, this release serves and must not be lost.
      releases.env().record(number, configReleases.inForce(name));
      releases.record(
          new Releases.Release(
              number,
              Instant.now(),
              label,
              revision,
              configHash(definition),
              times.build(),
              times.release(),
              fingerprint));
      Optional<String> failure =
          supervisor.runs(name)
              ? supervisor.replaceGeneration(app, "release " + number, steps(progress))
              : firstGeneration(app, number, progress);
      if (failure.isPresent()) {
        throw new DeployException(failure.get(), List.of());
      }
      made = false;
      List<Integer> pruned;
      try {
        Optional<Releases.Release> before = AppPlacer.current(releases, number);
        releases.markCurrent(number);
        OptionalInt spared =
            placer.leftBehind(
                name, releases, before, text -> progress.step(line("warning", text, null)));
        pruned = releases.prune(definition.deploy().keepReleases(), spared);
      } catch (IOException e) {
        String message =
            "deploy of "
                + name
                + ": release "
                + number
                + " serves, but recording it failed: "
                + e.getMessage();
        appLog(name, message);
        say.accept("berth: " + message);
        return Result.failed(message);
      }
      String done = name + " release " + number + " is current";
      progress.step(
          line(
              "done",
              done + (pruned.isEmpty() ? "" : " (removed old " + numbers(pruned) + ")"),
              since(begun)));
      appLog(name, "deploy: " + done);
      say.accept("berth: deploy: " + done + " (" + label + ")");
      return Result.done(number);
    } catch (DeployException e) {
      return failed(name, "deploy", number, made, releases, e.describe());
    } catch (IOException | RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "deploy of " + name + " failed", e);
      return failed(name, "deploy", number, made, releases, String.valueOf(e.getMessage()));
    }
  }

  private Result failed(
      String name, String what, int number, boolean made, Releases releases, String why) {
    if (made) {
      try {
        releases.discard(number);
        Releases.delete(releases.dir(number).resolveSibling(Releases.INCOMING + number));
      } catch (IOException e) {
        LOG.log(
            System.Logger.Level.WARNING,
            "cannot remove failed release " + number + " of " + name + ": " + e.getMessage());
      }
    }
    String message =
        what
            + " of "
            + name
            + (number > 0 ? " (release " + number + ")" : "")
            + " failed, the running version keeps serving: "
            + why;
    appLog(name, message.lines().findFirst().orElse(message));
    say.accept("berth: " + message);
    return Result.failed(message);
  }

  /**
   * Runs the app's code of an earlier release: the same start / switch / drain flow, without a
   * build or release phase (the release was built, and its migrations ran, when it was deployed).
   * The release phase it does not run is said: the newer release's migrations stay applied.
   *
   * @param wanted the release, or empty for the newest one before the current one
   * @throws IllegalStateException at once, when the app is busy
   */
  public Result rollback(String name, OptionalInt wanted, Progress progress) {
    requireNonNull(progress, "progress");
    App definition = definition(name);
    try (Supervisor.Exclusive exclusive = supervisor.exclusive(name, "rollback")) {
      long begun = System.nanoTime();
      Releases releases = releases(name);
      OptionalInt current = releases.current();
      List<Releases.Release> all = releases.list();
      int target;
      if (wanted.isPresent()) {
        target = wanted.getAsInt();
        if (all.stream().noneMatch(r -> r.number() == target)) {
          return Result.failed(
              "rollback of "
                  + name
                  + ": no release "
                  + target
                  + (all.isEmpty()
                      ? " (it has none)"
                      : " (it has: "
                          + numbers(all.stream().map(Releases.Release::number).toList())
                          + ")"));
        }
      } else {
        int below = current.isPresent() ? current.getAsInt() : Integer.MAX_VALUE;
        Optional<Releases.Release> previous =
            all.stream().filter(r -> r.number() < below).reduce((a, b) -> b);
        if (previous.isEmpty()) {
          return Result.failed(
              "rollback of "
                  + name
                  + ": no release before "
                  + (current.isPresent() ? "release " + current.getAsInt() : "the first deploy")
                  + " to go back to");
        }
        target = previous.get().number();
      }
      if (current.isPresent() && current.getAsInt() == target) {
        return Result.failed("rollback of " + name + ": release " + target + " is current already");
      }
      try {
        progress.step(
            line(
                "rollback",
                "to release "
                    + target
                    + (current.isPresent() ? " (from release " + current.getAsInt() + ")" : ""),
                null));
        App app = forRelease(definition, releases.dir(target));
        ConfigReleases.EnvRestore env =
            ConfigReleases.EnvRestore.of(releases, target, supervisor.storedEnvironment(name));
        if (sameCode(name, releases.dir(target))) {
          return sameCode(name, target, env, progress, begun);
        }
        if (app.deploy().release() != null) {
          // What the newer release migrated stays so: the old code may not run on it.
          progress.step(
              line(
                  "release",
                  "not run again: "
                      + app.deploy().release()
                      + " ("
                      + (current.isPresent()
                          ? "release " + current.getAsInt() + "'s"
                          : "the running code's")
                      + " migrations stay applied; to undo them, run the backwards migration"
                      + " with berth run first)",
                  null));
        }
        ReleaseOwner.ownedBy(releases.dir(target), supervisor.appUser(app));
        progress.step(line("env", env.describe(), null));
        env.apply(supervisor, name);
        Optional<String> failure =
            supervisor.replaceGeneration(app, "release " + target, steps(progress));
        if (failure.isPresent()) {
          env.undo(supervisor, name);
          return failed(name, "rollback", target, false, releases, failure.get());
        }
        releases.markCurrent(target);
      } catch (DeployException e) {
        return failed(name, "rollback", target, false, releases, e.describe());
      } catch (IOException | RuntimeException e) {
        return failed(name, "rollback", target, false, releases, String.valueOf(e.getMessage()));
      }
      String done = name + " release " + target + " is current";
      progress.step(line("done", done, since(begun)));
      appLog(name, "rollback: " + done);
      say.accept("berth: rollback: " + done);
      return Result.done(target);
    }
  }

  /** Whether the app's instances run from {@code dir} now. */
  private boolean sameCode(String name, Path dir) {
    return supervisor.oneOffs().dir(name).toAbsolutePath().normalize().equals(dir.normalize());
  }

  /**
   * A rollback to a release whose code runs already (over {@code berth env set} releases): its env
   * back, then a rolling restart applies it, as {@code env set} did. No new generation: the same
   * code from the same directory needs none, and a rolling restart replaces the instances one at a
   * time as the change it undoes did.
   */
  private Result sameCode(
      String name, int target, ConfigReleases.EnvRestore env, Progress progress, long begun)
      throws IOException {
    Releases releases = releases(name);
    progress.step(
        line("code", "release " + releases.code(target) + "'s, which runs already", null));
    progress.step(line("env", env.describe(), null));
    env.apply(supervisor, name);
    releases.markCurrent(target);
    String done = name + " release " + target + " is current";
    if (env.changed()) {
      Optional<String> failure =
          supervisor.restartApp(name, step -> progress.step(line("restart", step, null)));
      if (failure.isPresent()) {
        String message = "rollback of " + name + ": " + done + ", but " + failure.get();
        appLog(name, message.lines().findFirst().orElse(message));
        return Result.failed(message);
      }
    }
    progress.step(line("done", done, since(begun)));
    appLog(name, "rollback: " + done + " (env " + env.describe() + ")");
    say.accept("berth: rollback: " + done);
    return Result.done(target);
  }

  /**
   * Records a config release of the app ({@code berth env set/unset}): the code it runs now, with
   * {@code env} as the variables in force. The caller holds the app's {@link Supervisor#exclusive}
   * mark. Empty when the app has no current release.
   */
  public Optional<ConfigReleases.Made> configRelease(
      String name, Map<String, String> env, String changes, Double releaseSeconds)
      throws IOException {
    Optional<ConfigReleases.Made> made =
        configReleases.record(definition(name), env, changes, releaseSeconds);
    made.ifPresent(m -> appLog(name, "env: release " + m.number() + ": " + changes));
    return made;
  }

  /**
   * Runs the app with a new definition (the config changed: commands, counts, env, socket kind...)
   * through the same start / switch / drain flow, with the code it runs now: its current release
   * (its Procfile read again there), or its configured dir if it has none. No release is made. A
   * busy app (a deploy running) fails at once.
   */
  public Result redeploy(App newDefinition, Consumer<String> progress) {
    requireNonNull(newDefinition, "newDefinition");
    requireNonNull(progress, "progress");
    String name = newDefinition.name();
    if (newDefinition.external() || !supervisor.runs(name)) {
      return Result.failed("redeploy of " + name + ": berth does not run it");
    }
    Progress lines =
        new Progress() {
          @Override
          public void step(String line) {
            progress.accept(line);
          }

          @Override
          public void output(String source, String line) {
            progress.accept("       " + line);
          }
        };
    try (Supervisor.Exclusive exclusive = supervisor.exclusive(name, "redeploy")) {
      long begun = System.nanoTime();
      Releases releases = releases(name);
      AppPlacer.Placement placement =
          placer.place(
              newDefinition,
              text -> lines.step("-----> " + text),
              text -> lines.step(line("warning", text, null)));
      if (placement.held().isPresent()) {
        return failed(name, "redeploy", 0, false, releases, placement.held().get());
      }
      App app = placement.app();
      boolean fromRelease = placement.release() > 0;
      // Same code, new environment (env, env_file): its release phase runs again first, as after
      // berth env set, so that a new DATABASE_URL is migrated before it serves.
      if (placement.replaced().isEmpty()
          && fromRelease
          && app.deploy().release() != null
          && !supervisor.environment(app).equals(supervisor.environment(name))) {
        lines.step(line("release", "the environment changed: the release phase runs again", null));
        try {
          ReleasePhases.run(supervisor, app, placement.release(), false, true, lines);
        } catch (DeployException e) {
          return failed(name, "redeploy", 0, false, releases, e.describe());
        }
      }
      String label =
          fromRelease ? "release " + placement.release() + ", new definition" : "new definition";
      Optional<String> failure = supervisor.replaceGeneration(app, label, steps(lines));
      if (failure.isPresent()) {
        placement.unmake(releases);
        return failed(name, "redeploy", 0, false, releases, failure.get());
      }
      definitions.put(name, newDefinition);
      String done =
          name
              + " runs its new definition"
              + (fromRelease ? " (release " + placement.release() + ")" : "");
      lines.step(line("done", done, since(begun)));
      appLog(name, "redeploy: " + done);
      return Result.done(placement.release());
    } catch (IllegalStateException e) {
      return Result.failed(e.getMessage());
    } catch (IOException e) {
      return failed(name, "redeploy", 0, false, releases(name), String.valueOf(e.getMessage()));
    }
  }

  /** Whether a deploy's source is the app's folder as the config names it. */
  private static boolean isFolder(Source source, Path folder) {
    if (source.kind() != Source.Kind.DIRECTORY) {
      return false;
    }
    try {
      return Path.of(source.describe()).toRealPath().equals(folder.toRealPath());
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Runs the app's release phase in the release it runs, with its environment as stored now (after
   * {@code berth env set}), if it has one. The caller holds the app's {@link Supervisor#exclusive}
   * mark. @return why it failed, or empty
   */
  public Optional<String> releasePhase(String name, Progress progress) {
    App definition = definition(name);
    try {
      OptionalInt current = releases(name).current();
      if (current.isEmpty()) {
        return Optional.empty();
      }
      App app = forRelease(definition, releases(name).dir(current.getAsInt()));
      if (app.deploy().release() == null) {
        return Optional.empty();
      }
      ReleasePhases.phase(
          supervisor,
          app,
          "release",
          app.deploy().release(),
          app.deploy().releaseTimeout(),
          current.getAsInt(),
          progress);
      return Optional.empty();
    } catch (DeployException e) {
      return Optional.of(e.describe());
    } catch (IOException e) {
      return Optional.of(String.valueOf(e.getMessage()));
    }
  }

  /**
   * Starts the first generation of an app that berth holds back (its first release failed at {@code
   * berth up}): the deploy of a fixed release starts it. @return why it did not start
   */
  private Optional<String> firstGeneration(App app, int number, Progress progress) {
    long begun = System.nanoTime();
    Supervisor.StartResult result = supervisor.start(List.of(app)).get(0);
    if (!result.failures().isEmpty()) {
      supervisor.removeApp(app.name());
      return Optional.of(String.join("\n", result.failures()));
    }
    progress.step(
        line(
            "start",
            supervisor.instanceCounts(app.name()) + " (release " + number + "), ready",
            since(begun)));
    return Optional.empty();
  }

  private App definition(String name) {
    App app = definitions.get(name);
    if (app == null || !supervisor.runs(name)) {
      throw new IllegalArgumentException("no app \"" + name + "\" run by this berth");
    }
    return app;
  }

  private static App forRelease(App definition, Path dir) throws DeployException {
    try {
      return ConfigLoader.forRelease(definition, dir);
    } catch (ConfigException e) {
      throw new DeployException(
          "the release cannot run: " + String.join("; ", e.problems()), List.of());
    }
  }

  private static Supervisor.Steps steps(Progress progress) {
    return (name, detail, took) -> progress.step(line(name, detail, took));
  }

  /** {@code -----> build done 3.20s}. */
  static String line(String step, String detail, Duration took) {
    String text = String.format(Locale.ROOT, "-----> %-8s %s", step, detail);
    return took == null ? text : text + String.format(Locale.ROOT, "  %.2fs", took.toNanos() / 1e9);
  }

  private void appLog(String app, String line) {
    try {
      logs.stream(app).append(Logs.BERTH, line);
    } catch (IllegalArgumentException e) {
      // No log for such a name: berth's own output has the line.
    }
  }

  /** A hash of the app's definition as the config gives it: {@link App#definitionHash()}. */
  static String configHash(App app) {
    return app.definitionHash();
  }

  static String shortRevision(String revision) {
    if (revision.length() <= 12 || !revision.matches("[0-9a-f]{13,}(-dirty)?")) {
      return revision;
    }
    return revision.substring(0, 12) + (revision.endsWith("-dirty") ? "-dirty" : "");
  }

  static String size(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    if (bytes < 1024 * 1024) {
      return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
    }
    return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
  }

  static String numbers(List<Integer> numbers) {
    return String.join(", ", numbers.stream().map(String::valueOf).toList());
  }

  private static Duration since(long nanos) {
    return Duration.ofNanos(System.nanoTime() - nanos);
  }
}
