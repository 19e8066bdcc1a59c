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
 * user. No build or release phase runs for such a copy (they are a deploy's).
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
   * The app as berth starts it ({@code berth up}, a reload that adds it): from a release, with its
   * Procfile read there: a new copy of its folder if needed (see the class), and {@code say} tells.
   * When none can be made, or the current one cannot run, {@code warn} says so and the app runs
   * from its current release or else its configured dir.
   */
  public App runnable(App configured, Consumer<String> say, Consumer<String> warn) {
    if (configured.external()) {
      return configured;
    }
    return place(configured, say, warn).app();
  }

  /**
   * Where an app runs: its app as placed in a release (or its configured dir), and that release's
   * number (0 for none).
   */
  record Placement(App app, int release, OptionalInt replaced) {
    Placement(App app, int release) {
      this(app, release, OptionalInt.empty());
    }

    /** The same, in a release just made from the folder, which was current before it. */
    Placement made(OptionalInt before) {
      return new Placement(app, release, before);
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
    OptionalInt current;
    try {
      current = releases.current();
    } catch (RuntimeException e) {
      warn.accept("app " + name + ": " + e.getMessage() + "; running it from " + folder);
      return new Placement(configured, 0);
    }
    Optional<Releases.Release> last = current.isEmpty() ? Optional.empty() : lastCopy(releases);
    if (current.isPresent() && last.isEmpty()) {
      // Deployed from elsewhere only (git, a tarball), or by an earlier berth: the folder is not
      // where its code comes from.
      return inRelease(configured, current.getAsInt(), releases, warn);
    }
    String fingerprint;
    try {
      fingerprint = new FolderTree(folder, stateDir).fingerprint();
    } catch (IOException | java.io.UncheckedIOException e) {
      warn.accept(
          "app "
              + name
              + ": cannot read its folder "
              + folder
              + " ("
              + e.getMessage()
              + ")"
              + (current.isPresent() ? "" : "; running it from there"));
      return current.isPresent()
          ? inRelease(configured, current.getAsInt(), releases, warn)
          : new Placement(configured, 0);
    }
    // Unchanged since berth last copied it: what runs stays (a rollback holds until an edit).
    if (last.isPresent() && last.get().madeFrom(folder, fingerprint)) {
      return inRelease(configured, current.getAsInt(), releases, warn);
    }
    String why =
        last.isEmpty()
            ? "first start"
            : !last.get().source().equals(folder.toString())
                ? "the app's dir is now " + folder
                : "its folder changed since release " + last.get().number() + " was copied from it";
    try {
      int number = fromFolder(configured, fingerprint, why, say);
      Placement placed = inRelease(configured, number, releases, warn);
      return placed.release() == number ? placed.made(current) : placed;
    } catch (DeployException | IOException | RuntimeException e) {
      String reason = e instanceof DeployException d ? d.describe() : e.getMessage();
      warn.accept(
          "app "
              + name
              + ": cannot make a release from "
              + folder
              + " ("
              + reason
              + "); running "
              + (current.isPresent() ? "release " + current.getAsInt() : "it from there"));
      return current.isPresent()
          ? inRelease(configured, current.getAsInt(), releases, warn)
          : new Placement(configured, 0);
    }
  }

  /**
   * A new release copied from the app's folder, made current: no build or release phase runs (they
   * are a deploy's). @return its number
   */
  private int fromFolder(App configured, String fingerprint, String why, Consumer<String> say)
      throws DeployException, IOException {
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
      releases.record(
          new Releases.Release(
              number,
              Instant.now(),
              folder.toString(),
              fetched.revision(),
              Deployer.configHash(configured),
              null,
              null,
              fingerprint));
      Optional<Releases.Release> before = current(releases, number);
      releases.markCurrent(number);
      List<Integer> pruned =
          releases.prune(
              configured.deploy().keepReleases(), leftBehind(name, releases, before, say));
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
              + (pruned.isEmpty() ? "" : "; removed old " + Deployer.numbers(pruned));
      appLog.accept(name, line);
      say.accept(line);
      return number;
    } catch (DeployException | IOException | RuntimeException e) {
      releases.discard(number);
      Releases.delete(incoming);
      throw e;
    }
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

  /** The app placed in release {@code number}; its configured dir when that release cannot run. */
  private Placement inRelease(
      App configured, int number, Releases releases, Consumer<String> warn) {
    String name = configured.name();
    Path dir = releases.dir(number);
    if (!Files.isDirectory(dir)) {
      warn.accept(
          "app "
              + name
              + ": current release "
              + number
              + " is missing ("
              + dir
              + "); running it from "
              + configured.run().dir());
      return new Placement(configured, 0);
    }
    App app;
    try {
      app = ConfigLoader.forRelease(configured, dir);
    } catch (ConfigException e) {
      warn.accept(
          "app "
              + name
              + ": release "
              + number
              + " cannot run ("
              + String.join("; ", e.problems())
              + "); running it from "
              + configured.run().dir());
      return new Placement(configured, 0);
    }
    try {
      ReleaseOwner.ownedBy(dir, supervisor.appUser(app));
    } catch (IOException | DeployException e) {
      // Its start says what is wrong (no such user, say).
      LOG.log(System.Logger.Level.DEBUG, "release " + dir + ": " + e.getMessage());
    }
    return new Placement(app, number);
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

  /**
   * When the folder changed since berth last copied it: a line saying so and what makes the change
   * live ({@code berth restart} runs the release as it is).
   */
  Optional<String> folderChanged(App definition) {
    String name = definition.name();
    try {
      Releases releases = new Releases(stateDir, name);
      OptionalInt current = releases.current();
      Optional<Releases.Release> last = lastCopy(releases);
      Path folder = definition.run().dir();
      if (current.isEmpty()
          || last.isEmpty()
          || !last.get().source().equals(folder.toString())
          || last.get().madeFrom(folder, new FolderTree(folder, stateDir).fingerprint())) {
        return Optional.empty();
      }
      return Optional.of(
          name
              + " runs release "
              + current.getAsInt()
              + "; its folder "
              + folder
              + " changed since release "
              + last.get().number()
              + " was copied from it: `berth deploy "
              + name
              + "` makes the change live");
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }
}
