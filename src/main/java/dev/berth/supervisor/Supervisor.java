package dev.berth.supervisor;

import static java.util.Objects.requireNonNull;

import dev.berth.config.App;
import dev.berth.config.UserAccount;
import dev.berth.logs.LinePump;
import dev.berth.logs.Logs;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Runs apps' processes: starts each instance in its own session and process group on an endpoint
 * berth allocates, decides when it is ready, and stops it with its whole process tree. Each {@link
 * Instance} keeps itself running (restarts with backoff, FATAL); this class launches and stops
 * processes for them, records them in the state file, and answers the control commands.
 */
public final class Supervisor {

  private static final System.Logger LOG = System.getLogger(Supervisor.class.getName());
  private static final Duration READY_POLL = Duration.ofMillis(50);
  private static final Duration KILL_WAIT = Duration.ofSeconds(5);
  private static final Duration WORKER_SETTLE = Duration.ofSeconds(1);

  /**
   * Socket names per instance number: app-N.0.sock to app-N.9.sock (the config checks the length
   * with one digit).
   */
  private static final int SOCKET_SLOTS = 10;

  /**
   * After a deploy's switch, before the old generation's in-flight count is trusted: a request that
   * picked an old peer an instant before the switch has counted itself in by then.
   */
  private static final Duration SWITCH_SETTLE = Duration.ofMillis(100);

  private final Path runDir;
  private final Logs logs;
  private final PrintStream output;
  private final InstanceListener listener;
  private final StateFile stateFile;
  private final Overrides overrides;
  private final Map<String, List<Instance>> instances = new ConcurrentHashMap<>();
  private final Map<String, App> apps = new ConcurrentHashMap<>();

  /** A deploy's new generation while it starts, before the switch: stopAll must end it too. */
  private final Map<String, List<Instance>> incoming = new ConcurrentHashMap<>();

  /**
   * Unix socket paths taken by an incarnation, from allocation until its socket file is removed.
   */
  private final Set<Path> socketsInUse = new java.util.HashSet<>();

  /**
   * Apps with an operation that must not overlap another (deploy, restart, scale...), and which.
   */
  private final Map<String, Busy> busy = new ConcurrentHashMap<>();

  /** Build and release phase processes running now: stopAll ends them. */
  private final Map<Incarnation, App> phases = new ConcurrentHashMap<>();

  private final Instance.Launcher launcher = new ProcessLauncher();
  private final AppDataDir dataDirs; // userenv hook
  private final Recycler recycler;

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
    this.runDir = requireNonNull(runDir, "runDir");
    this.logs = requireNonNull(logs, "logs");
    this.output = output;
    this.listener = requireNonNull(listener, "listener");
    this.stateFile = requireNonNull(stateFile, "stateFile");
    this.overrides = requireNonNull(overrides, "overrides");
    this.recycler = new Recycler(instances, this::logToApp, busy::containsKey);
    // userenv hook: the apps' data directories, in the state dir (runDir is state_dir/run).
    this.dataDirs = new AppDataDir(runDir.getParent(), this::warnAbout);
  }

  /** A warning about an app: in its log, and in berth's output. userenv hook */
  private void warnAbout(String app, String line) {
    logToApp(app, "WARNING: " + line);
    if (output != null) {
      output.println("berth: WARNING: app " + app + ": " + line);
    }
  }

  /** How starting an app went: how many instances became ready, and why the others did not. */
  public record StartResult(App app, int ready, List<String> failures) {}

  /** One instance as {@code berth status} shows it. */
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
      int recycled) {}

  /**
   * Starts every instance of every app at once and waits until each is ready or has failed its
   * first start (it is then retried with backoff, as after a crash).
   */
  public List<StartResult> start(Collection<App> apps) {
    List<Map.Entry<App, List<CompletableFuture<Optional<String>>>>> started = new ArrayList<>();
    for (App app : apps) {
      List<Instance> list = new ArrayList<>();
      List<CompletableFuture<Optional<String>>> futures = new ArrayList<>();
      Map<String, Integer> scale = overrides.scale(app.name());
      configuredCounts(app)
          .forEach(
              (type, configured) -> {
                for (int n = 1; n <= scale.getOrDefault(type, configured); n++) {
                  list.add(new Instance(app, type, n, launcher));
                }
              });
      this.apps.put(app.name(), app);
      instances.put(app.name(), new CopyOnWriteArrayList<>(list));
      if (closed) {
        break;
      }
      list.forEach(instance -> futures.add(instance.begin()));
      started.add(Map.entry(app, futures));
    }
    if (apps.stream().anyMatch(app -> app.recycle().any())) {
      recycler.start();
    }
    List<StartResult> results = new ArrayList<>();
    for (var entry : started) {
      int ready = 0;
      List<String> failures = new ArrayList<>();
      for (CompletableFuture<Optional<String>> future : entry.getValue()) {
        Optional<String> failure = future.join();
        if (failure.isPresent()) {
          failures.add(failure.get());
        } else {
          ready++;
        }
      }
      results.add(new StartResult(entry.getKey(), ready, failures));
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
                instance.recycled()));
      }
    }
    result.sort(
        java.util.Comparator.comparing(InstanceStatus::app)
            .thenComparing(i -> !i.type().equals(Instance.WEB))
            .thenComparing(InstanceStatus::type)
            .thenComparing(InstanceStatus::instance));
    return result;
  }

  /** Instances per process type as the config gives them, web first. */
  private static Map<String, Integer> configuredCounts(App app) {
    Map<String, Integer> counts = new java.util.LinkedHashMap<>();
    if (app.hasWeb()) {
      counts.put(Instance.WEB, app.instances());
    }
    app.processes().forEach(p -> counts.put(p.name(), p.instances()));
    return counts;
  }

  /**
   * Sets how many instances of a process type run, and keeps it across restarts of berth. New
   * instances start (and must be ready before this returns); surplus ones, the highest-numbered,
   * leave the rotation, finish their requests and stop.
   *
   * @return why some instances did not start, one line each
   */
  public synchronized List<String> scale(String appName, String type, int count) {
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
      Instance instance = new Instance(app, type, n, launcher);
      list.add(instance);
      starting.add(instance.begin());
    }
    List<Instance> surplus = ofType.stream().filter(i -> i.number() > count).toList();
    surplus.stream().map(Instance::shutdown).toList().forEach(CompletableFuture::join);
    list.removeAll(surplus);
    return starting.stream().map(CompletableFuture::join).flatMap(Optional::stream).toList();
  }

  /**
   * @return the app, if it has this process type
   * @throws IllegalArgumentException if berth runs no such app, or it has no such type (naming its
   *     types)
   */
  public App checkProcessType(String appName, String type) {
    App app = apps.get(appName);
    if (app == null) {
      throw new IllegalArgumentException("no app \"" + appName + "\" run by berth");
    }
    if (!configuredCounts(app).containsKey(type)) {
      throw new IllegalArgumentException(
          appName
              + " has no process type \""
              + type
              + "\" (it has: "
              + String.join(", ", configuredCounts(app).keySet())
              + ")");
    }
    return app;
  }

  /** The environment an instance of the app starts with, besides berth's own variables. */
  public Map<String, String> environment(String appName) throws IOException {
    App app = apps.get(appName);
    if (app == null) {
      throw new IllegalArgumentException("no app \"" + appName + "\" run by berth");
    }
    Map<String, String> env =
        new java.util.TreeMap<>(EnvFile.read(app.envFileOrDefault(), new ArrayList<>()));
    env.putAll(app.env());
    env.putAll(overrides.env(appName));
    return env;
  }

  /**
   * Stores variables (kept across restarts of berth); they apply from each instance's next start.
   */
  public void changeEnvironment(String appName, Map<String, String> set, Collection<String> unset) {
    if (!apps.containsKey(appName)) {
      throw new IllegalArgumentException("no app \"" + appName + "\" run by berth");
    }
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
    list.stream().map(Instance::shutdown).toList().forEach(CompletableFuture::join);
    instances.remove(app);
    apps.remove(app);
  }

  /** How many instances the app has now, per process type: "2 web, 1 worker" (for messages). */
  public String instanceCounts(String app) {
    Map<String, Integer> counts = new java.util.LinkedHashMap<>();
    for (Instance instance : all(app)) {
      counts.merge(instance.type(), 1, Integer::sum);
    }
    return describe(counts);
  }

  /** Whether berth runs this app. */
  public boolean runs(String app) {
    return instances.containsKey(app);
  }

  /** Stops every instance of the app and keeps them stopped until {@link #startApp}. */
  public void stopApp(String app) {
    all(app).stream().map(Instance::stop).toList().forEach(CompletableFuture::join);
  }

  /** Starts the app's stopped or FATAL instances. @return why some did not start */
  public List<String> startApp(String app) {
    return all(app).stream().map(Instance::start).toList().stream()
        .map(CompletableFuture::join)
        .flatMap(Optional::stream)
        .toList();
  }

  /**
   * Rolling restart: one instance at a time, a successor is started and must be ready before it
   * takes over; the old one drains and stops. Stops at the first failure, the rest untouched.
   *
   * @param progress told about each step, as a line of text
   * @return why it stopped early, or empty
   */
  public Optional<String> restartApp(String app, java.util.function.Consumer<String> progress) {
    for (Instance instance : all(app)) {
      if (instance.state() == Instance.State.STOPPED) {
        // Stopped on purpose (berth stop): it stays so; the change applies when it is started.
        progress.accept(instance.tag() + ": stopped, left stopped");
        continue;
      }
      if (instance.current().isEmpty()) {
        progress.accept(
            instance.tag()
                + ": "
                + instance.state().name().toLowerCase(java.util.Locale.ROOT)
                + ", starting it");
        Optional<String> failure = instance.start().join();
        if (failure.isPresent()) {
          return failure;
        }
        continue;
      }
      progress.accept(instance.tag() + ": starting its successor");
      long begun = System.nanoTime();
      Optional<String> failure = instance.replace().join();
      if (failure.isPresent()) {
        return Optional.of(failure.get() + " (the running instance keeps serving)");
      }
      progress.accept(
          instance.tag()
              + ": replaced in "
              + Duration.ofNanos(System.nanoTime() - begun).toMillis()
              + " ms");
    }
    return Optional.empty();
  }

  // ---- deploys: a new generation beside the old one, one switch, the old one drained ----------

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
   * then {@link #switchTraffic} gives it the traffic in one step; then the old generation drains
   * (up to its drain_timeout) and stops. If any new instance fails to start, the new ones are
   * stopped and the old generation never stops serving.
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
    Map<String, Integer> counts = counts(next);
    List<Instance> fresh = new ArrayList<>();
    counts.forEach(
        (type, count) -> {
          for (int n = 1; n <= count; n++) {
            fresh.add(new Instance(next, type, n, launcher, true));
          }
        });
    synchronized (stopped) {
      if (closed) {
        return Optional.of("berth is stopping");
      }
      incoming.put(name, fresh);
    }
    long begun = System.nanoTime();
    List<CompletableFuture<Optional<String>>> starting =
        fresh.stream().map(Instance::begin).toList();
    List<String> failures =
        new ArrayList<>(
            starting.stream().map(CompletableFuture::join).flatMap(Optional::stream).toList());
    if (failures.isEmpty() && closed) {
      failures.add("berth is stopping");
    }
    if (!failures.isEmpty()) {
      abandon(name, fresh);
      return Optional.of(String.join("\n", failures));
    }
    steps.step("start", describe(counts) + " (" + label + ")", since(begun));
    Optional<String> refused = switchTraffic(next, old, fresh);
    if (refused.isPresent()) {
      abandon(name, fresh);
      return refused;
    }
    if (next.recycle().any()) {
      // A new definition may be the first with max_requests or max_memory.
      recycler.start();
    }
    List<String> web =
        fresh.stream().filter(i -> i.type().equals(Instance.WEB)).map(Instance::tag).toList();
    steps.step("switch", (web.isEmpty() ? "no web instances" : tags(web)) + " -> " + label, null);
    retire(old, old.isEmpty() ? next.drainTimeout() : old.get(0).app().drainTimeout(), steps);
    return Optional.empty();
  }

  /**
   * <b>The switch of a deploy</b>, the one place where traffic moves from a generation to the next.
   * Under {@link Instance#ROUTING}, so no instance joins or leaves the rotation meanwhile: every
   * new web instance must still have its ready incarnation; then the old instances are held (a
   * restart of one of them while it drains stays out of rotation), the new ones admitted, the app's
   * backend set to exactly the new peers in one atomic step, and the new generation becomes the
   * app's instances (status, logs, restart, scale and recycling see it from now on).
   *
   * @return why the switch did not happen (nothing changed then), or empty
   */
  private Optional<String> switchTraffic(App next, List<Instance> old, List<Instance> fresh) {
    synchronized (Instance.ROUTING) {
      List<InstanceListener.Routed> serving = new ArrayList<>();
      for (Instance instance : fresh) {
        if (!instance.type().equals(Instance.WEB)) {
          continue;
        }
        Incarnation current = instance.current().orElse(null);
        if (current == null || current.routed() == null || !current.process().isAlive()) {
          String why =
              instance.lastProblem() == null ? "it is " + instance.state() : instance.lastProblem();
          return Optional.of(instance.tag() + ": exited before the switch: " + why);
        }
        serving.add(current.routed());
      }
      old.forEach(Instance::hold);
      fresh.forEach(Instance::admit);
      if (next.hasWeb() || !old.isEmpty()) {
        listener.switchOver(next.name(), serving);
      }
      apps.put(next.name(), next);
      instances.put(next.name(), new CopyOnWriteArrayList<>(fresh));
      incoming.remove(next.name());
    }
    return Optional.empty();
  }

  /**
   * The old generation, out of rotation: its requests in flight finish (up to {@code
   * drainTimeout}), then its instances stop, each with its process tree.
   */
  private void retire(List<Instance> old, Duration drainTimeout, Steps steps) {
    long begun = System.nanoTime();
    sleep(SWITCH_SETTLE);
    int inFlight = inFlight(old);
    long deadline = begun + drainTimeout.toNanos();
    while (inFlight(old) > 0 && System.nanoTime() < deadline) {
      sleep(Duration.ofMillis(20));
    }
    int left = inFlight(old);
    steps.step(
        "drain",
        "old generation ("
            + inFlight
            + " in flight"
            + (left > 0 ? ", " + left + " cut at drain_timeout" : "")
            + ")",
        since(begun));
    long stopping = System.nanoTime();
    old.stream().map(Instance::shutdown).toList().forEach(CompletableFuture::join);
    steps.step(
        "stop",
        "old generation (" + old.size() + " instance" + (old.size() == 1 ? "" : "s") + ")",
        since(stopping));
  }

  private static int inFlight(List<Instance> generation) {
    return generation.stream()
        .mapToInt(i -> i.current().map(Incarnation::inFlight).orElse(0))
        .sum();
  }

  /** A new generation that will not serve: stopped, and forgotten. */
  private void abandon(String app, List<Instance> fresh) {
    fresh.stream().map(Instance::shutdown).toList().forEach(CompletableFuture::join);
    incoming.remove(app, fresh);
  }

  /**
   * Instances per type for a new generation: what berth scale stored, else the definition's counts.
   */
  private Map<String, Integer> counts(App app) {
    Map<String, Integer> scale = overrides.scale(app.name());
    Map<String, Integer> counts = new java.util.LinkedHashMap<>();
    configuredCounts(app)
        .forEach((type, configured) -> counts.put(type, scale.getOrDefault(type, configured)));
    return counts;
  }

  /** "2 web, 1 worker". */
  private static String describe(Map<String, Integer> counts) {
    List<String> parts = new ArrayList<>();
    counts.forEach((type, n) -> parts.add(n + " " + type));
    return parts.isEmpty() ? "no processes" : String.join(", ", parts);
  }

  /** "web.1-3" for blog.1, blog.2, blog.3; the tags otherwise. */
  private static String tags(List<String> tags) {
    if (tags.size() == 1) {
      return tags.get(0);
    }
    String first = tags.get(0);
    String prefix = first.substring(0, first.lastIndexOf('.') + 1);
    return prefix + "1-" + tags.size();
  }

  private static Duration since(long nanos) {
    return Duration.ofNanos(System.nanoTime() - nanos);
  }

  /** An operation on an app that must not overlap another one; close it when done. */
  public interface Exclusive extends AutoCloseable {
    @Override
    void close();
  }

  private record Busy(String what, long since) {}

  /**
   * Marks the app busy with {@code what} (deploy, restart, scale...) until the result is closed.
   * Recycling leaves a busy app alone.
   *
   * @throws IllegalStateException at once, naming what runs, if the app is busy already
   */
  public Exclusive exclusive(String app, String what) {
    Busy mine = new Busy(what, System.nanoTime());
    Busy other = busy.putIfAbsent(app, mine);
    if (other != null) {
      long seconds = Duration.ofNanos(System.nanoTime() - other.since()).toSeconds();
      throw new IllegalStateException(
          app
              + ": busy: a "
              + other.what()
              + " is in progress (for "
              + seconds
              + "s); try again when it is done");
    }
    return () -> busy.remove(app, mine);
  }

  // ---- build and release phases ------------------------------------------------------------

  /**
   * How a phase process ended: its exit code (or null when it was killed at its timeout) and last
   * lines.
   */
  public record PhaseResult(Integer exitCode, Duration took, List<String> lastLines) {
    public boolean ok() {
      return exitCode != null && exitCode == 0;
    }
  }

  /**
   * Runs a deploy's build or release command once, as the app's processes run: in the app's dir, as
   * its user, with its environment, in a session and process group of its own; recorded in the
   * state file meanwhile. Its lines go to the app's log (source {@code phase}) and to {@code
   * output}. At its timeout, or when berth stops, its whole tree is ended.
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
      java.util.function.Consumer<String> output)
      throws IOException {
    requireNonNull(output, "output");
    if (closed) {
      throw new IOException("berth is stopping");
    }
    Optional<UserAccount> runAs = runAs(app);
    List<String> argv = new ArrayList<>(List.of("setsid"));
    runAs.ifPresent(
        user ->
            argv.addAll(
                List.of(
                    "setpriv", "--reuid=" + user.uid(), "--regid=" + user.gid(), "--init-groups")));
    argv.addAll(List.of("/bin/sh", "-c", command));
    ProcessBuilder builder =
        new ProcessBuilder(argv).directory(app.dir().toFile()).redirectErrorStream(true);
    environment(builder.environment(), app, overrides.env(app.name()), runAs);
    dataDirs.prepare(app.name(), runAs, builder.environment()); // userenv hook
    builder.environment().put("BERTH_PHASE", phase);
    builder.environment().putAll(extra);
    long begun = System.nanoTime();
    Process process = builder.start();
    String tag = app.name() + "." + phase;
    PrintStream console = this.output;
    LinePump pump =
        LinePump.start(
            phase,
            process.getInputStream(),
            logs.stream(app.name()),
            line -> {
              if (console != null) {
                console.println(tag + " | " + line);
              }
              output.accept(line);
            });
    Incarnation incarnation = new Incarnation(tag, null, process, pump);
    phases.put(incarnation, app);
    launcher.changed();
    try {
      boolean exited;
      try {
        exited = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        exited = false;
      }
      if (!exited) {
        stopTree(tag, app, incarnation);
      } else {
        // What it left in its group (a daemonized child) goes with it.
        Set<ProcessHandle> left = ProcessTree.leftovers(process.pid(), incarnation.started());
        if (!left.isEmpty()) {
          stopTree(tag, app, incarnation);
        }
      }
      pump.awaitEnd(Duration.ofSeconds(2));
      return new PhaseResult(exited ? process.exitValue() : null, since(begun), pump.lastLines());
    } finally {
      phases.remove(incarnation);
      launcher.changed();
    }
  }

  /**
   * Who the app's processes run as when berth is root and it is not root (its files must be theirs
   * to read, and a release dir theirs to write); empty when they run as berth itself.
   */
  public Optional<UserAccount> appUser(App app) throws IOException {
    return runAs(app);
  }

  private List<Instance> all(String app) {
    List<Instance> list = instances.get(app);
    if (list == null) {
      throw new IllegalArgumentException("no app \"" + app + "\" run by berth");
    }
    return list;
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
    List<Instance> all = new ArrayList<>();
    // Under the lock a deploy's switch holds, so that a generation moving from incoming to
    // instances is seen in one of them.
    synchronized (Instance.ROUTING) {
      instances.values().forEach(all::addAll);
      incoming.values().forEach(all::addAll);
    }
    List<CompletableFuture<Void>> stopping = new ArrayList<>();
    all.forEach(instance -> stopping.add(instance.shutdown()));
    phases.forEach(
        (phase, app) ->
            stopping.add(
                CompletableFuture.runAsync(
                    () -> stopTree(phase.tag(), app, phase), r -> Thread.ofVirtual().start(r))));
    stopping.forEach(CompletableFuture::join);
    stateFile.write(List.of());
    stopped.complete(null);
  }

  /** A line from berth about the app (recycling), in the app's log beside its output. */
  private void logToApp(String app, String line) {
    try {
      logs.stream(app).append("berth", line);
    } catch (IllegalArgumentException e) {
      // An app named "berth": the line is in berth's own output already.
    }
  }

  /**
   * Who the app's processes run as, when not as berth itself: as root, the app's user (nobody by
   * default, as nginx's workers; root only when the config says so); otherwise nobody else.
   */
  private static Optional<UserAccount> runAs(App app) throws IOException {
    return RunAs.of(app); // userenv hook: the rule moved to RunAs, which the checks use too
  }

  /** Starting and stopping processes, for the instances. */
  private final class ProcessLauncher implements Instance.Launcher {

    /**
     * Incarnations started and not yet stopped, for the state file: a successor too, while it
     * starts.
     */
    private final Set<Incarnation> live = ConcurrentHashMap.newKeySet();

    /** Whom each app runs as, looked up (getent) at its first start, not at every restart. */
    private final Map<App, Optional<UserAccount>> accounts = new ConcurrentHashMap<>();

    @Override
    public Incarnation launch(App app, String type, int number, int generation) throws IOException {
      if (closed) {
        throw new IOException("berth is stopping");
      }
      String tag = Instance.tag(app.name(), type, number);
      Optional<UserAccount> runAs = accounts.get(app);
      if (runAs == null) {
        runAs = runAs(app);
        accounts.put(app, runAs);
      }
      Endpoint endpoint = type.equals(Instance.WEB) ? allocate(app, number, runAs) : null;
      Process process;
      try {
        ProcessBuilder builder =
            processBuilder(app, type, number, endpoint, overrides.env(app.name()), runAs);
        dataDirs.prepare(app.name(), runAs, builder.environment()); // userenv hook
        process = builder.start();
      } catch (IOException | RuntimeException e) {
        releaseSocket(endpoint);
        throw e;
      }
      Incarnation incarnation =
          new Incarnation(
              tag,
              endpoint,
              process,
              LinePump.start(tag, process.getInputStream(), logs.stream(app.name()), output));
      live.add(incarnation);
      changed();
      return incarnation;
    }

    @Override
    public Optional<String> awaitReady(
        App app, Incarnation incarnation, java.util.function.BooleanSupplier cancelled) {
      if (incarnation.endpoint() == null) {
        return awaitReady(app, incarnation, cancelled, null);
      }
      String path = app.healthCheck() == null ? "/" : app.healthCheck().path();
      try (ReadinessProbe probe =
          new ReadinessProbe(incarnation.endpoint(), path, app.healthCheck() != null)) {
        return awaitReady(app, incarnation, cancelled, probe);
      }
    }

    /**
     * Polls until it answers HTTP (see {@link ReadinessProbe}), exits, is cancelled or times out;
     * without a probe (a worker), until it has run for a moment.
     */
    private Optional<String> awaitReady(
        App app,
        Incarnation incarnation,
        java.util.function.BooleanSupplier cancelled,
        ReadinessProbe probe) {
      String tag = incarnation.tag();
      Process process = incarnation.process();
      long deadline = System.nanoTime() + app.startTimeout().toNanos();
      if (incarnation.endpoint() == null) {
        // A worker has nothing to connect to: it is started once it has not exited for a moment.
        deadline =
            System.nanoTime() + Math.min(WORKER_SETTLE.toNanos(), app.startTimeout().toNanos());
      }
      while (true) {
        if (!process.isAlive()) {
          forget(incarnation);
          return Optional.of(
              Instance.withOutput(
                  incarnation,
                  tag + ": exited with code " + process.exitValue() + " before it was ready"));
        }
        if (cancelled.getAsBoolean() || closed) {
          stop(app, incarnation);
          return Optional.of(tag + ": stopped before it was ready");
        }
        if (probe == null) {
          if (System.nanoTime() > deadline) {
            return Optional.empty();
          }
          sleep(READY_POLL);
          continue;
        }
        if (probe.answered(READY_POLL)) {
          return Optional.empty();
        }
        if (System.nanoTime() > deadline) {
          stop(app, incarnation);
          return Optional.of(
              Instance.withOutput(
                  incarnation,
                  tag
                      + ": "
                      + notReady(app, probe)
                      + " on "
                      + incarnation.endpoint()
                      + " after "
                      + app.startTimeout().toSeconds()
                      + "s"));
        }
      }
    }

    private static String notReady(App app, ReadinessProbe probe) {
      if (!probe.connected()) {
        return "not accepting connections";
      }
      return app.healthCheck() == null
          ? "not answering HTTP"
          : "not answering 2xx to its health check (GET " + app.healthCheck().path() + ")";
    }

    @Override
    public void route(App app, int number, Incarnation incarnation) {
      if (incarnation.endpoint() != null) {
        incarnation.routed(listener.ready(app.name(), number, incarnation.endpoint()));
      }
    }

    @Override
    public void standby(App app, int number, Incarnation incarnation) {
      if (incarnation.endpoint() != null) {
        incarnation.routed(listener.standby(app.name(), number, incarnation.endpoint()));
      }
    }

    @Override
    public void stop(App app, Incarnation incarnation) {
      incarnation.markStopping();
      incarnation.withdraw();
      stopTree(incarnation.tag(), app, incarnation);
      forget(incarnation);
    }

    @Override
    public void changed() {
      live.removeIf(i -> !i.process().isAlive());
      List<StateFile.Entry> entries = new ArrayList<>();
      for (Incarnation i : live) {
        entries.add(new StateFile.Entry(i.tag(), i.process().pid(), i.started()));
      }
      for (Incarnation i : phases.keySet()) {
        entries.add(new StateFile.Entry(i.tag(), i.process().pid(), i.started()));
      }
      stateFile.write(entries);
    }

    private void forget(Incarnation incarnation) {
      releaseSocket(incarnation.endpoint());
      live.remove(incarnation);
    }
  }

  private Endpoint allocate(App app, int number, Optional<UserAccount> runAs) throws IOException {
    return switch (app.socket()) {
      case UNIX -> {
        // A directory per app, the app's own when it runs as another user, so that it can create
        // its socket there and no other app's user can reach it.
        Path dir = runDir.resolve(app.name());
        try {
          Files.createDirectory(
              dir,
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (java.nio.file.FileAlreadyExistsException e) {
          // Made by an earlier run, or by another instance of the app starting at the same time.
        }
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        if (runAs.isPresent()) {
          Files.setAttribute(dir, "unix:uid", (int) runAs.get().uid());
          Files.setAttribute(dir, "unix:gid", (int) runAs.get().gid());
        }
        // The first name no live incarnation of this instance number has, so that a successor
        // (a rolling restart's, or a deploy's new generation) starts beside the one it replaces:
        // names alternate .0/.1 as a rule (config's socket path check assumes this form).
        Path socket = null;
        synchronized (socketsInUse) {
          for (int slot = 0; slot < SOCKET_SLOTS && socket == null; slot++) {
            Path candidate = dir.resolve(app.name() + "-" + number + "." + slot + ".sock");
            if (socketsInUse.add(candidate)) {
              socket = candidate;
            }
          }
        }
        if (socket == null) {
          throw new IOException(
              "no free socket name for " + app.name() + "." + number + " in " + dir);
        }
        try {
          // A socket file left by an earlier run would make the app's bind fail.
          Files.deleteIfExists(socket);
        } catch (IOException e) {
          releaseSocket(new Endpoint.Unix(socket));
          throw e;
        }
        yield new Endpoint.Unix(socket);
      }
      case TCP -> {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
          yield new Endpoint.Tcp(probe.getLocalPort());
        }
      }
    };
  }

  /**
   * The environment, lowest first: berth's own, the app's .env file (read now, so that an edit
   * applies at the next start), the config's env, what {@code berth env set} stored, then berth's
   * variables for this instance.
   */
  private static ProcessBuilder processBuilder(
      App app,
      String type,
      int number,
      Endpoint endpoint,
      Map<String, String> stored,
      Optional<UserAccount> runAs)
      throws IOException {
    String command = type.equals(Instance.WEB) ? app.command() : commandOf(app, type);
    // setsid: its own session and process group, so a terminal's Ctrl-C reaches berth alone and
    // berth stops the apps in order; the group lets berth find the whole tree later.
    List<String> argv = new ArrayList<>(List.of("setsid"));
    runAs.ifPresent(
        user ->
            argv.addAll(
                List.of(
                    "setpriv", "--reuid=" + user.uid(), "--regid=" + user.gid(), "--init-groups")));
    argv.addAll(List.of("/bin/sh", "-c", shellLine(command)));
    ProcessBuilder builder = new ProcessBuilder(argv);
    builder.directory(app.dir().toFile());
    builder.redirectErrorStream(true);
    Map<String, String> env = builder.environment();
    environment(env, app, stored, runAs);
    env.put("BERTH_PROCESS_TYPE", type);
    env.put("BERTH_INSTANCE", Integer.toString(number));
    if (endpoint == null) {
      return builder;
    }
    String bind =
        switch (endpoint) {
          case Endpoint.Unix unix -> {
            env.put("BERTH_SOCKET", unix.path().toString());
            yield "unix:" + unix.path();
          }
          case Endpoint.Tcp tcp -> {
            env.put("PORT", Integer.toString(tcp.port()));
            yield "127.0.0.1:" + tcp.port();
          }
        };
    // gunicorn reads its settings from here too: "gunicorn wsgi:app" needs no --bind.
    String gunicornArgs = env.getOrDefault("GUNICORN_CMD_ARGS", "").trim();
    env.put("GUNICORN_CMD_ARGS", (gunicornArgs + " --bind " + bind).trim());
    return builder;
  }

  /**
   * The app's environment over berth's own in {@code env}: the user's HOME, USER and LOGNAME when
   * it runs as another, its .env file (read now, so an edit applies at the next start), the
   * config's env, what {@code berth env set} stored, BERTH_APP.
   */
  private static void environment(
      Map<String, String> env, App app, Map<String, String> stored, Optional<UserAccount> runAs)
      throws IOException {
    runAs.ifPresent(
        user -> {
          env.put("HOME", user.home());
          env.put("USER", user.name());
          env.put("LOGNAME", user.name());
        });
    ChildPath.forUser(env, runAs); // userenv hook
    List<String> problems = new ArrayList<>();
    env.putAll(EnvFile.read(app.envFileOrDefault(), problems));
    problems.forEach(problem -> LOG.log(System.Logger.Level.WARNING, problem));
    env.putAll(app.env());
    env.putAll(stored);
    env.put("BERTH_APP", app.name());
    env.putIfAbsent("PYTHONUNBUFFERED", "1");
  }

  private static String commandOf(App app, String type) {
    return app.processes().stream()
        .filter(p -> p.name().equals(type))
        .map(App.ProcessType::command)
        .findFirst()
        .orElseThrow(
            () -> new IllegalArgumentException(app.name() + " has no process type " + type));
  }

  /**
   * A single command is exec'd, so the app itself (not a shell) is the process berth watches and
   * signals; a list or pipeline ("a && b", "a | b") runs under the shell, whose whole group berth
   * signals anyway.
   */
  static String shellLine(String command) {
    boolean compound = command.matches("(?s).*(&&|\\|\\||;|\\||&|\\n).*");
    return compound ? command : "exec " + command;
  }

  /**
   * SIGTERM to the incarnation's whole tree and group, up to its stop timeout for them to exit,
   * then SIGKILL to whatever is left, including processes that appeared meanwhile.
   */
  private static void stopTree(String tag, App app, Incarnation incarnation) {
    ProcessHandle leader = incarnation.process().toHandle();
    // Taken before the leader exits: afterwards its children are re-parented and no longer found.
    Set<ProcessHandle> members =
        leader.isAlive()
            ? ProcessTree.members(leader)
            : ProcessTree.leftovers(leader.pid(), incarnation.started());
    if (members.isEmpty()) {
      return;
    }
    ProcessTree.signal(members, false);
    waitForExit(members, app.stopTimeout());
    Set<ProcessHandle> left = new java.util.LinkedHashSet<>(members);
    left.addAll(ProcessTree.members(leader));
    left.removeIf(p -> !p.isAlive());
    if (!left.isEmpty()) {
      LOG.log(
          System.Logger.Level.WARNING,
          "{0}: {1} process(es) still running {2}s after SIGTERM; sending SIGKILL",
          tag,
          left.size(),
          app.stopTimeout().toSeconds());
      ProcessTree.signal(left, true);
      waitForExit(left, KILL_WAIT);
    }
    try {
      incarnation.process().waitFor(KILL_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Removes the socket file and frees its name, once: a second call for the same incarnation must
   * not remove the file of another that has the name by then.
   */
  private void releaseSocket(Endpoint endpoint) {
    if (!(endpoint instanceof Endpoint.Unix unix)) {
      return;
    }
    synchronized (socketsInUse) {
      if (!socketsInUse.contains(unix.path())) {
        return;
      }
      try {
        Files.deleteIfExists(unix.path());
      } catch (IOException e) {
        LOG.log(System.Logger.Level.DEBUG, "cannot remove {0}", unix.path());
      }
      socketsInUse.remove(unix.path());
    }
  }

  private static void waitForExit(Set<ProcessHandle> processes, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (ProcessTree.anyAlive(processes) && System.nanoTime() < deadline) {
      sleep(READY_POLL);
    }
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
