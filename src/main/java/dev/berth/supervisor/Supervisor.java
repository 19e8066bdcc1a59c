package dev.berth.supervisor;

import static java.util.Objects.requireNonNull;

import dev.berth.config.App;
import dev.berth.config.UserAccount;
import dev.berth.logs.Logs;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Runs apps' processes: which instances each app has, and what the control commands and deploys do
 * with them (start, stop, restart, scale, env changes, a new generation). Each {@link Instance}
 * keeps itself running (restarts with backoff, FATAL); a {@link ProcessLauncher} starts and stops
 * its processes; the {@link TrafficSwitch} moves traffic between them; a {@link PhaseRunner} runs a
 * deploy's build and release commands. {@link Generations} makes the instances, {@link
 * RollingRestart} restarts them, {@link BusyApps} keeps an app's operations from overlapping.
 */
public final class Supervisor {

  private final Logs logs;
  private final Overrides overrides;
  private final RunningProcesses running;
  private final ProcessLauncher launcher;
  private final TrafficSwitch traffic;
  private final PhaseRunner phases;
  private final OneOffs oneOffs;

  /** berth's own output (null: none), for warnings about an app. */
  private final PrintStream output;

  private final Recycler recycler;
  private final Generations generations;

  /** The instances of each app, in rotation or not. */
  private final Map<String, List<Instance>> instances = new ConcurrentHashMap<>();

  private final Map<String, App> apps = new ConcurrentHashMap<>();

  /** A deploy's new generation while it starts, before the switch: stopAll must end it too. */
  private final Map<String, List<Instance>> incoming = new ConcurrentHashMap<>();

  /** A deploy's old generation from just before the switch until it is stopped: stopAll too. */
  private final Map<String, List<Instance>> retiring = new ConcurrentHashMap<>();

  private final BusyApps busy = new BusyApps();

  /** Set once stopping began: nothing starts after that. */
  private volatile boolean closed;

  private final CompletableFuture<Void> stopped = new CompletableFuture<>();

  /**
   * @param runDir where instance sockets go; must exist
   * @param logs where the apps' output lines go
   * @param output berth's own output, where the lines are copied too (null: not copied)
   * @param listener told about instances becoming ready
   * @param stateFile where running processes are recorded, for the next berth if this one is killed
   * @param overrides env and scale set at run time, which win over the config
   */
  public Supervisor(
      Path runDir,
      Logs logs,
      PrintStream output,
      InstanceListener listener,
      StateFile stateFile,
      Overrides overrides) {
    this(runDir, logs, output, output, listener, stateFile, overrides);
  }

  /**
   * As above, with the apps' lines copied to {@code echo} rather than to {@code output}: berth in
   * the foreground copies them only to a terminal, or when asked ({@code berth up --echo}).
   *
   * @param echo where the apps' output lines are copied (null: nowhere)
   */
  public Supervisor(
      Path runDir,
      Logs logs,
      PrintStream output,
      PrintStream echo,
      InstanceListener listener,
      StateFile stateFile,
      Overrides overrides) {
    this.logs = requireNonNull(logs, "logs");
    this.overrides = requireNonNull(overrides, "overrides");
    this.running = new RunningProcesses(stateFile);
    // runDir is state_dir/run: the apps' data directories are state_dir/data/APP.
    AppDataDir dataDirs = new AppDataDir(runDir.getParent(), this::warnAbout);
    this.output = output;
    this.launcher =
        new ProcessLauncher(
            new Endpoints(runDir), dataDirs, running, logs, echo, overrides, this::logToApp);
    this.traffic = new TrafficSwitch(listener);
    this.phases = new PhaseRunner(dataDirs, running, logs, echo, overrides);
    this.generations = new Generations(overrides, launcher, traffic);
    this.recycler = new Recycler(instances, this::logToApp, busy::isBusy);
    this.oneOffs =
        new OneOffs(
            (app, type) -> type == null ? app(app) : checkProcessType(app, type),
            dataDirs,
            running,
            logs,
            echo,
            overrides,
            this::logToApp);
  }

  /** How starting an app went: how many instances became ready, and why the others did not. */
  public record StartResult(App app, int ready, List<String> failures) {}

  /**
   * One instance as {@code berth status} shows it; {@code dir} is where it runs from (a release's
   * directory: the daemon tells which release, during a deploy too).
   */
  public record InstanceStatus(
      String app,
      String type,
      int instance,
      String tag,
      String state,
      long pid,
      Instant since,
      int restarts,
      long rssBytes,
      String endpoint,
      String lastProblem,
      int recycled,
      int tunnels,
      Path dir) {}

  /**
   * Starts every instance of every app at once and waits until each is ready or has failed its
   * first start (it is then retried with backoff, as after a crash).
   */
  public List<StartResult> start(Collection<App> apps) {
    List<Map.Entry<App, List<CompletableFuture<Optional<String>>>>> started = new ArrayList<>();
    for (App app : apps) {
      traffic.firstGeneration(app);
      List<Instance> list = generations.of(app, true);
      this.apps.put(app.name(), app);
      instances.put(app.name(), new CopyOnWriteArrayList<>(list));
      if (closed) {
        break;
      }
      started.add(Map.entry(app, list.stream().map(Instance::begin).toList()));
    }
    if (apps.stream().anyMatch(app -> app.run().recycle().any())) {
      recycler.start();
    }
    List<StartResult> results = new ArrayList<>();
    for (var entry : started) {
      List<String> failures = failures(entry.getValue());
      results.add(
          new StartResult(entry.getKey(), entry.getValue().size() - failures.size(), failures));
    }
    return results;
  }

  /** Every instance of every app, in config order. */
  public List<InstanceStatus> status() {
    List<InstanceStatus> result = new ArrayList<>();
    for (List<Instance> list : instances.values()) {
      for (Instance instance : list) {
        Optional<Incarnation> current = instance.current();
        long pid = current.map(i -> i.process().pid()).orElse(0L);
        long rss = current.map(i -> ProcessTree.rssBytes(i.process().toHandle())).orElse(0L);
        result.add(
            new InstanceStatus(
                instance.app().name(),
                instance.type(),
                instance.number(),
                instance.tag(),
                instance.state().name(),
                pid,
                instance.since(),
                instance.restarts(),
                rss,
                current.map(i -> i.endpoint() == null ? "" : i.endpoint().toString()).orElse(""),
                instance.lastProblem(),
                instance.recycled(),
                current.map(Incarnation::tunnels).orElse(0),
                instance.app().run().dir()));
      }
    }
    result.sort(
        Comparator.comparing(InstanceStatus::app)
            .thenComparing(i -> !i.type().equals(Instance.WEB))
            .thenComparing(InstanceStatus::type)
            .thenComparing(InstanceStatus::instance));
    return result;
  }

  /**
   * Sets how many instances of a process type run, and keeps it across restarts of berth. New
   * instances start (and must be ready before this returns); surplus ones, the highest-numbered,
   * leave the rotation, finish their requests and stop.
   *
   * @param progress told of each surplus instance killed (SIGKILL) after its stop_timeout
   * @return why some instances did not start, one line each
   */
  public synchronized List<String> scale(
      String appName, String type, int count, Consumer<String> progress) {
    App app = checkProcessType(appName, type);
    if (closed) {
      // An instance begun now would never be shut down.
      return List.of(appName + ": not scaled: berth is stopping");
    }
    overrides.scale(appName, type, count);
    List<Instance> list = instances.get(appName);
    List<Instance> ofType = list.stream().filter(i -> i.type().equals(type)).toList();
    List<CompletableFuture<Optional<String>>> starting = new ArrayList<>();
    for (int n = ofType.size() + 1; n <= count; n++) {
      Instance instance = generations.instance(app, type, n, true);
      list.add(instance);
      starting.add(instance.begin());
    }
    List<Instance> surplus = ofType.stream().filter(i -> i.number() > count).toList();
    StopKills kills = StopKills.watch(surplus);
    shutdown(surplus);
    list.removeAll(surplus);
    kills.report(progress);
    return failures(starting);
  }

  /**
   * @return the app, if it has this process type
   * @throws IllegalArgumentException if berth runs no such app, or it has no such type (naming its
   *     types)
   */
  public App checkProcessType(String appName, String type) {
    App app = app(appName);
    ProcessCounts.check(app, type);
    return app;
  }

  /** The environment an instance of the app starts with, besides berth's own variables. */
  public Map<String, String> environment(String appName) throws IOException {
    return environment(app(appName));
  }

  /** {@link #environment(String)} of a definition, running or not (a release being made). */
  public Map<String, String> environment(App app) throws IOException {
    return AppEnvironment.configured(app, overrides.env(app.name()));
  }

  /** What {@code berth env set} stored for the app (no config values). */
  public Map<String, String> storedEnvironment(String appName) throws IOException {
    app(appName);
    return overrides.env(appName);
  }

  /** Puts back what {@link #storedEnvironment} returned before a change that was refused. */
  public void restoreEnvironment(String appName, Map<String, String> stored) throws IOException {
    overrides.restoreEnv(appName, stored);
  }

  /**
   * Stores variables (kept across restarts of berth); they apply from each instance's next start.
   */
  public void changeEnvironment(String appName, Map<String, String> set, Collection<String> unset) {
    app(appName);
    overrides.changeEnv(appName, set, unset);
  }

  /**
   * Stops every instance of the app for good and forgets the app (a reload removed it): each
   * instance leaves the rotation, finishes its requests (up to drain_timeout) and is stopped, all
   * at once. What {@code scale} and {@code env set} stored for it stays in the overrides, for the
   * day it comes back.
   */
  public void removeApp(String app) {
    List<Instance> list = instances.get(app);
    if (list == null) {
      return;
    }
    shutdown(list);
    instances.remove(app);
    apps.remove(app);
  }

  /** How many instances the app has now, per process type: "2 web, 1 worker" (for messages). */
  public String instanceCounts(String app) {
    Map<String, Integer> counts = new LinkedHashMap<>();
    for (Instance instance : all(app)) {
      counts.merge(instance.type(), 1, Integer::sum);
    }
    return ProcessCounts.describe(counts);
  }

  /** Whether berth runs this app. */
  public boolean runs(String app) {
    return instances.containsKey(app);
  }

  /**
   * Stops the app's instances of {@code type} (null: all) and keeps them stopped until {@link
   * #startApp}. @param progress told what became of each instance
   */
  public void stopApp(String app, String type, Consumer<String> progress) {
    select(app, type, progress).stop(progress);
  }

  /**
   * Starts the app's stopped or FATAL instances of {@code type} (null: all). @return why some did
   * not start
   */
  public List<String> startApp(String app, String type, Consumer<String> progress) {
    return select(app, type, progress).start(progress);
  }

  /** {@link #restartApp(String, String, Consumer)} of every instance. */
  public Optional<String> restartApp(String app, Consumer<String> progress) {
    return restartApp(app, null, progress);
  }

  /**
   * Rolling restart: one instance at a time, a successor is started and must be ready before it
   * takes over; the old one drains and stops. Stops at the first failure, the rest untouched.
   *
   * @param type the process type whose instances restart, or null for all
   * @param progress told about each step, as a line of text
   * @return why it stopped early, or empty
   */
  public Optional<String> restartApp(String app, String type, Consumer<String> progress) {
    return RollingRestart.restart(select(app, type, progress).instances(), progress);
  }

  /** What a generation switch reports, one step at a time. */
  public interface Steps {
    /**
     * A step is done.
     *
     * @param name "start", "switch", "drain" or "stop"
     * @param detail what it did ("2 web, 1 worker")
     * @param took how long it took, or null for a step that takes no time
     */
    void step(String name, String detail, Duration took);
  }

  /**
   * Replaces every instance of the app by a new generation running {@code next}, with no request
   * lost: a complete set of instances of every process type (as many as run now: the config's
   * counts, or what {@code berth scale} stored) starts on endpoints of its own and must be ready;
   * then {@link TrafficSwitch#switchOver} gives it the traffic in one step; then the old generation
   * drains (up to its drain_timeout) and stops. A stop-first type's old instances stop before its
   * new ones start, just before the switch ({@link GenerationReplacement}). If any new instance
   * fails to start, the new ones are stopped, the old stop-first ones start again, and the old
   * generation never stops serving.
   *
   * <p>The caller holds {@link #exclusive} for the app.
   *
   * @param label what the new generation is, for the steps ("release 7")
   * @return why it failed (with the failing process's last output lines), or empty
   */
  public Optional<String> replaceGeneration(App next, String label, Steps steps) {
    requireNonNull(next, "next");
    requireNonNull(label, "label");
    requireNonNull(steps, "steps");
    String name = next.name();
    List<Instance> old = List.copyOf(all(name));
    List<Instance> fresh = generations.of(next, false);
    List<Instance> admitted = new CopyOnWriteArrayList<>();
    GenerationReplacement replacement =
        new GenerationReplacement(
            next, old, fresh, traffic, more -> admit(name, admitted, more), () -> closed);
    Optional<String> failed = replacement.start(label, steps);
    if (failed.isPresent()) {
      incoming.remove(name, admitted);
      return failed;
    }
    // In a map stopAll reads at every moment: retiring before the switch, instances after it.
    retiring.put(name, old);
    Optional<String> refused = traffic.switchOver(next, old, fresh);
    if (refused.isPresent()) {
      retiring.remove(name, old);
      String restored = replacement.undo();
      incoming.remove(name, admitted);
      return Optional.of(refused.get() + restored);
    }
    // From here status, logs, restart, scale and recycling see the new generation.
    apps.put(name, next);
    instances.put(name, new CopyOnWriteArrayList<>(fresh));
    incoming.remove(name, admitted);
    if (next.run().recycle().any()) {
      // A new definition may be the first with max_requests or max_memory.
      recycler.start();
    }
    List<String> web =
        fresh.stream().filter(i -> i.type().equals(Instance.WEB)).map(Instance::tag).toList();
    steps.step(
        "switch",
        (web.isEmpty() ? "no web instances" : ProcessCounts.tags(web)) + " -> " + label,
        null);
    List<SigKill> killed =
        traffic.retire(
            old,
            old.isEmpty() ? next.run().drainTimeout() : old.get(0).app().run().drainTimeout(),
            steps);
    StopKills.handOver(killed, fresh);
    retiring.remove(name, old);
    return Optional.empty();
  }

  /**
   * Puts a deploy's new instances, about to begin, where stopAll finds them, unless it began.
   *
   * @param admitted the deploy's list in {@code incoming}, which grows as its groups begin
   */
  private boolean admit(String app, List<Instance> admitted, List<Instance> more) {
    synchronized (stopped) {
      if (closed) {
        return false;
      }
      admitted.addAll(more);
      incoming.put(app, admitted);
      return true;
    }
  }

  /** An operation on an app that must not overlap another one; close it when done. */
  public interface Exclusive extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * Marks the app busy with {@code what} (deploy, restart, scale...) until the result is closed.
   * Recycling leaves a busy app alone.
   *
   * @throws IllegalStateException at once, naming what runs, if the app is busy already
   */
  public Exclusive exclusive(String app, String what) {
    return busy.exclusive(app, what);
  }

  /**
   * Runs a deploy's build or release command once, as the app's processes run (see {@link
   * PhaseRunner#run}).
   *
   * @param phase "build" or "release"
   * @param extra variables added to the app's environment (BERTH_RELEASE)
   */
  public PhaseResult runPhase(
      App app,
      String phase,
      String command,
      Duration timeout,
      Map<String, String> extra,
      Consumer<String> output)
      throws IOException {
    return phases.run(app, phase, command, timeout, extra, output);
  }

  /** One-off commands in the apps' current releases ({@code berth run}). */
  public OneOffs oneOffs() {
    return oneOffs;
  }

  /**
   * Who the app's processes run as when berth is root and it is not root (its files must be theirs
   * to read, and a release dir theirs to write); empty when they run as berth itself.
   */
  public Optional<UserAccount> appUser(App app) throws IOException {
    return AppUser.of(app);
  }

  /**
   * Stops every instance at once, each with its app's stop timeout, and waits for all. A second
   * call (the shutdown hook, after the daemon's own) waits for the first.
   */
  public void stopAll() {
    synchronized (stopped) {
      if (closed) {
        stopped.join();
        return;
      }
      closed = true;
    }
    recycler.close();
    launcher.close();
    List<CompletableFuture<Void>> stopping = new ArrayList<>(phases.stopAll());
    stopping.addAll(oneOffs.stopAll());
    // In this order: a deploy puts a generation in the next map before it leaves the one before,
    // so every instance is seen at least once (a second shutdown is answered at once).
    List<Instance> all = new ArrayList<>();
    incoming.values().forEach(all::addAll);
    instances.values().forEach(all::addAll);
    retiring.values().forEach(all::addAll);
    all.forEach(instance -> stopping.add(instance.shutdown()));
    stopping.forEach(CompletableFuture::join);
    running.clear();
    stopped.complete(null);
  }

  private App app(String name) {
    App app = apps.get(name);
    if (app == null) {
      throw new IllegalArgumentException("no app \"" + name + "\" run by berth");
    }
    return app;
  }

  private List<Instance> all(String app) {
    List<Instance> list = instances.get(app);
    if (list == null) {
      throw new IllegalArgumentException("no app \"" + app + "\" run by berth");
    }
    return list;
  }

  /**
   * The app's instances of {@code type}, or all (null); says so when there are none.
   *
   * @throws IllegalArgumentException if the app has no such type (naming its types)
   */
  private Selection select(String app, String type, Consumer<String> progress) {
    if (type != null) {
      checkProcessType(app, type);
    }
    return Selection.of(app, type, all(app)).reportIfEmpty(progress);
  }

  private static void shutdown(List<Instance> list) {
    list.stream().map(Instance::shutdown).toList().forEach(CompletableFuture::join);
  }

  /** Waits for every start; @return why some failed, one line each. */
  private static List<String> failures(List<CompletableFuture<Optional<String>>> starts) {
    return starts.stream().map(CompletableFuture::join).flatMap(Optional::stream).toList();
  }

  /** A warning about an app: in its log, and in berth's output. */
  private void warnAbout(String app, String line) {
    logToApp(app, "WARNING: " + line);
    if (output != null) {
      output.println("berth: WARNING: app " + app + ": " + line);
    }
  }

  /** A line from berth about the app (recycling), in the app's log beside its output. */
  private void logToApp(String app, String line) {
    try {
      logs.stream(app).append("berth", line);
    } catch (IllegalArgumentException e) {
      // An app named "berth": the line is in berth's own output already.
    }
  }
}
