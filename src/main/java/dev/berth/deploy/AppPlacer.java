package dev.berth.deploy;

import static java.util.Objects.requireNonNull;

import dev.berth.config.App;
import dev.berth.config.ConfigException;
import dev.berth.config.ConfigLoader;
import dev.berth.config.UserAccount;
import dev.berth.supervisor.Supervisor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * <b>Where an app runs</b>: always in a release. A new one is copied from the app's folder when it
 * has none, or when the folder changed since berth last copied it (by {@code berth up} or a deploy
 * of the folder); otherwise its current release runs, whatever made it (a deploy from git, a
 * rollback). So the app's user needs no access to the checkout: the copy is berth's, owned by that
 * user. A release that has not run the app's build and release phases runs them before it starts,
 * as in a deploy; one whose phases fail does not start (an older release runs, or none).
 */
public final class AppPlacer {

  private static final System.Logger LOG = System.getLogger(AppPlacer.class.getName());

  private final Supervisor supervisor;
  private final Path stateDir;
  private final BiConsumer<String, String> appLog;

  /**
   * @param appLog writes a berth line into an app's log: (app, line)
   */
  AppPlacer(Supervisor supervisor, Path stateDir, BiConsumer<String, String> appLog) {
    this.supervisor = requireNonNull(supervisor, "supervisor");
    this.stateDir = requireNonNull(stateDir, "stateDir");
    this.appLog = requireNonNull(appLog, "appLog");
  }

  /**
   * How an app berth starts ({@code berth up}, a reload that adds it) is placed: in a release, with
   * its Procfile read there (a new copy of its folder if needed, see the class; {@code say} tells
   * its steps), or held, not to be started, with the reason (no release could be made or made
   * ready, and there is none to fall back on).
   */
  public record Placed(App app, Optional<String> held) {}

  /** The app as berth starts it; see {@link Placed}. {@code warn} says what was fallen back on. */
  public Placed runnable(App configured, Consumer<String> say, Consumer<String> warn) {
    if (configured.external()) {
      return new Placed(configured, Optional.empty());
    }
    Placement placement = place(configured, say, warn);
    return new Placed(placement.app(), placement.held());
  }

  /**
   * Where an app runs: its app as placed in a release, that release's number, the release that was
   * current before when this one was just made, and why it must not start (held), if so.
   */
  record Placement(App app, int release, OptionalInt replaced, Optional<String> held) {
    Placement(App app, int release) {
      this(app, release, OptionalInt.empty(), Optional.empty());
    }

    static Placement held(App app, String why) {
      return new Placement(app, 0, OptionalInt.empty(), Optional.of(why));
    }

    /** The same, in a release just made from the folder, which was current before it. */
    Placement made(OptionalInt before) {
      return new Placement(app, release, before, held);
    }

    /**
     * A release made from the folder for a redeploy that failed goes again, and the one before it
     * is current again: it is what serves.
     */
    void unmake(Releases releases) {
      if (replaced.isEmpty()) {
        return;
      }
      try {
        releases.markCurrent(replaced.getAsInt());
        releases.discard(release);
      } catch (IOException e) {
        LOG.log(
            System.Logger.Level.WARNING,
            "cannot remove release " + release + ": " + e.getMessage());
      }
    }
  }

  Placement place(App configured, Consumer<String> say, Consumer<String> warn) {
    String name = configured.name();
    Path folder = configured.run().dir();
    Releases releases = new Releases(stateDir, name);
    OptionalInt current = OptionalInt.empty();
    Optional<Releases.Release> last;
    String fingerprint;
    try {
      current = releases.current();
      last = current.isEmpty() ? Optional.empty() : lastCopy(releases);
      // Deployed from elsewhere only (git, a tarball), or by an earlier berth: the folder is not
      // where its code comes from, and is not even read.
      fingerprint =
          current.isPresent() && last.isEmpty()
              ? null
              : new FolderTree(folder, stateDir).fingerprint();
    } catch (IOException | RuntimeException e) {
      String why = "cannot read its folder " + folder + " (" + e.getMessage() + ")";
      if (current.isEmpty()) {
        return Placement.held(configured, why);
      }
      warn.accept("app " + name + ": " + why + "; running release " + current.getAsInt());
      return ready(configured, current.getAsInt(), releases, say);
    }
    // Unchanged since berth last copied it: what runs stays (a rollback holds until an edit).
    if (current.isPresent() && (fingerprint == null || last.get().madeFrom(folder, fingerprint))) {
      return ready(configured, current.getAsInt(), releases, say);
    }
    String why =
        last.isEmpty()
            ? "first start"
            : !last.get().source().equals(folder.toString())
                ? "the app's dir is now " + folder
                : "its folder changed since release " + last.get().number() + " was copied from it";
    try {
      int number = fromFolder(configured, fingerprint, why, say);
      return new Placement(ConfigLoader.forRelease(configured, releases.dir(number)), number)
          .made(current);
    } catch (DeployException | ConfigException | IOException | RuntimeException e) {
      String reason =
          e instanceof DeployException d
              ? d.describe()
              : e instanceof ConfigException c ? String.join("; ", c.problems()) : e.getMessage();
      String line = "app " + name + ": no new release from " + folder + ": " + reason;
      appLog.accept(name, line.lines().findFirst().orElse(line));
      if (current.isEmpty()) {
        return Placement.held(configured, reason);
      }
      warn.accept(line + "\nrunning release " + current.getAsInt() + ", as before");
      return ready(configured, current.getAsInt(), releases, say);
    }
  }

  /**
   * A new release copied from the app's folder, through the build and release phases as in a
   * deploy, and made current. @return its number
   *
   * @throws DeployException when a phase fails (the release is removed)
   */
  private int fromFolder(App configured, String fingerprint, String why, Consumer<String> say)
      throws DeployException, ConfigException, IOException {
    String name = configured.name();
    Releases releases = new Releases(stateDir, name);
    int number = releases.next();
    Path folder = configured.run().dir();
    Path incoming = releases.incoming(number, UserAccount.currentUid() == 0);
    try {
      Source.Fetched fetched =
          Source.of(folder.toString(), null)
              .fetch(incoming, stateDir, Deployer.FETCH_TIMEOUT, line -> {});
      Path dir = releases.adopt(incoming, number);
      ReleaseOwner.own(dir, supervisor.appUser(configured));
      String line =
          "app "
              + name
              + ": release "
              + number
              + " copied from "
              + folder
              + " ("
              + why
              + "), "
              + Deployer.size(fetched.bytes())
              + " in "
              + fetched.files()
              + " files"
              + (fetched.leftOut() == null ? "" : ", " + fetched.leftOut());
      appLog.accept(name, line);
      say.accept(line);
      App app = ConfigLoader.forRelease(configured, dir);
      ReleasePhases.Times times =
          ReleasePhases.run(supervisor, app, number, true, true, steps(name, say));
      releases.env().record(number, new ConfigReleases(stateDir).inForce(name));
      releases.record(
          new Releases.Release(
              number,
              Instant.now(),
              folder.toString(),
              fetched.revision(),
              Deployer.configHash(configured),
              times.build(),
              times.release(),
              fingerprint));
      Optional<Releases.Release> before = current(releases, number);
      releases.markCurrent(number);
      List<Integer> pruned =
          releases.prune(
              configured.deploy().keepReleases(), leftBehind(name, releases, before, say));
      if (!pruned.isEmpty()) {
        say.accept("app " + name + ": removed old release(s) " + Deployer.numbers(pruned));
      }
      return number;
    } catch (DeployException | ConfigException | IOException | RuntimeException e) {
      releases.discard(number);
      Releases.delete(incoming);
      throw e;
    }
  }

  /**
   * The app placed in its current release {@code number}, after the build and release phases that
   * release never ran while the app has them (a release copied before berth ran them at start, a
   * config that gained a phase). Held when the release cannot run or a phase fails.
   */
  private Placement ready(App configured, int number, Releases releases, Consumer<String> say) {
    String name = configured.name();
    Path dir = releases.dir(number);
    if (!Files.isDirectory(dir)) {
      return Placement.held(
          configured, "its current release " + number + " is missing (" + dir + ")");
    }
    App app;
    try {
      app = ConfigLoader.forRelease(configured, dir);
    } catch (ConfigException e) {
      return Placement.held(
          configured, "release " + number + " cannot run: " + String.join("; ", e.problems()));
    }
    try {
      ReleaseOwner.ownedBy(dir, supervisor.appUser(app));
    } catch (IOException | DeployException e) {
      // Its start says what is wrong (no such user, say).
      LOG.log(System.Logger.Level.DEBUG, "release " + dir + ": " + e.getMessage());
    }
    Optional<Releases.Release> record = releases.find(number);
    boolean build =
        record.isPresent() && record.get().buildSeconds() == null && app.deploy().build() != null;
    boolean release =
        record.isPresent()
            && record.get().releaseSeconds() == null
            && app.deploy().release() != null;
    if (build || release) {
      say.accept(
          "app "
              + name
              + ": release "
              + number
              + " never ran its "
              + (build && release
                  ? "build and release phases"
                  : build ? "build phase" : "release phase")
              + ": running "
              + (build && release ? "them" : "it")
              + " now");
      try {
        ReleasePhases.Times times =
            ReleasePhases.run(supervisor, app, number, build, release, steps(name, say));
        Releases.Release r = record.get();
        releases.record(
            r.withTimes(
                build ? times.build() : r.buildSeconds(),
                release ? times.release() : r.releaseSeconds()));
      } catch (DeployException e) {
        return Placement.held(configured, e.describe());
      } catch (IOException | RuntimeException e) {
        return Placement.held(configured, String.valueOf(e.getMessage()));
      }
    }
    return new Placement(app, number);
  }

  /** A deploy's step lines, as berth's own output about the app. */
  private static Deployer.Progress steps(String name, Consumer<String> say) {
    return new Deployer.Progress() {
      @Override
      public void step(String line) {
        say.accept(
            "app "
                + name
                + ": "
                + line.substring("-----> ".length()).strip().replaceFirst("\\s+", ": "));
      }

      @Override
      public void output(String source, String line) {
        // Copied to berth's output, tagged, as the phase writes it (PhaseRunner).
      }
    };
  }

  /** The current release's record, unless it is release {@code number} or there is none. */
  static Optional<Releases.Release> current(Releases releases, int number) {
    OptionalInt current = releases.current();
    if (current.isEmpty() || current.getAsInt() == number) {
      return Optional.empty();
    }
    return releases.find(current.getAsInt());
  }

  /**
   * Says which files the app wrote into the release that was current until now: the new one does
   * not have them. They stay in the old release's directory until it is pruned; app data belongs in
   * $BERTH_DATA_DIR.
   */
  OptionalInt leftBehind(
      String name, Releases releases, Optional<Releases.Release> before, Consumer<String> say) {
    if (before.isEmpty()) {
      return OptionalInt.empty();
    }
    long[] total = new long[1];
    List<String> files;
    try {
      files = releases.writtenSince(before.get(), 3, total);
    } catch (IOException e) {
      return OptionalInt.empty();
    }
    if (files.isEmpty()) {
      return OptionalInt.empty();
    }
    int number = before.get().number();
    String line =
        "app "
            + name
            + ": "
            + total[0]
            + " file(s) written into release "
            + number
            + " while it ran ("
            + String.join(", ", files)
            + (total[0] > files.size() ? ", ..." : "")
            + ") are not in the new release; they stay in "
            + releases.dir(number)
            + " (not pruned this time). Keep app data in $BERTH_DATA_DIR";
    appLog.accept(name, line);
    say.accept(line);
    return OptionalInt.of(number);
  }

  /**
   * The newest release copied from the app's folder (by {@code berth up} or a deploy of the
   * folder), whose fingerprint says how the folder was then.
   */
  private static Optional<Releases.Release> lastCopy(Releases releases) {
    return releases.list().stream().filter(r -> r.fingerprint() != null).reduce((a, b) -> b);
  }

  /**
   * The release {@code berth up} would start the app from as it is: its current one, unless the
   * folder changed since berth last copied it (then a new one would be made, as when there is none:
   * empty).
   */
  public static OptionalInt runsAsIs(Path stateDir, App configured) {
    try {
      Releases releases = new Releases(stateDir, configured.name());
      OptionalInt current = releases.current();
      if (current.isEmpty()) {
        return current;
      }
      Optional<Releases.Release> last = lastCopy(releases);
      Path folder = configured.run().dir();
      if (last.isEmpty()
          || last.get().madeFrom(folder, new FolderTree(folder, stateDir).fingerprint())) {
        return current;
      }
    } catch (IOException | RuntimeException e) {
      // As berth up: it makes a new release, or says why it cannot.
    }
    return OptionalInt.empty();
  }
}
