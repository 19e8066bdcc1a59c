package dev.berth.supervisor;

import static java.util.Objects.requireNonNull;

import dev.berth.config.App;
import dev.berth.logs.LinePump;
import dev.berth.logs.Logs;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * berth allocates, decides when it is ready, and stops it with its whole process tree. Each
 * {@link Instance} keeps itself running (restarts with backoff, FATAL); this class launches and
 * stops processes for them, records them in the state file, and answers the control commands.
 */
public final class Supervisor {

  private static final System.Logger LOG = System.getLogger(Supervisor.class.getName());
  private static final Duration READY_POLL = Duration.ofMillis(50);
  private static final Duration KILL_WAIT = Duration.ofSeconds(5);

  private final Path runDir;
  private final Logs logs;
  private final PrintStream output;
  private final InstanceListener listener;
  private final StateFile stateFile;
  private final Map<String, List<Instance>> instances = new ConcurrentHashMap<>();
  private final Instance.Launcher launcher = new ProcessLauncher();
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
   */
  public Supervisor(Path runDir, Logs logs, PrintStream output, InstanceListener listener, StateFile stateFile) {
    this.runDir = requireNonNull(runDir, "runDir");
    this.logs = requireNonNull(logs, "logs");
    this.output = output;
    this.listener = requireNonNull(listener, "listener");
    this.stateFile = requireNonNull(stateFile, "stateFile");
    this.recycler = new Recycler(instances, this::logToApp);
  }

  /** How starting an app went: how many instances became ready, and why the others did not. */
  public record StartResult(App app, int ready, List<String> failures) {}

  /** One instance as {@code berth status} shows it. */
  public record InstanceStatus(
      String app,
      int instance,
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
      for (int n = 1; n <= app.instances(); n++) {
        Instance instance = new Instance(app, n, launcher);
        list.add(instance);
      }
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
                instance.number(),
                instance.state().name(),
                pid,
                instance.since(),
                instance.restarts(),
                rss,
                current.map(i -> i.endpoint().toString()).orElse(""),
                instance.lastProblem(),
                instance.recycled()));
      }
    }
    result.sort(java.util.Comparator.comparing(InstanceStatus::app).thenComparing(InstanceStatus::instance));
    return result;
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
      if (instance.current().isEmpty()) {
        progress.accept(instance.tag() + ": " + instance.state().name().toLowerCase(java.util.Locale.ROOT) + ", starting it");
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
          instance.tag() + ": replaced in " + Duration.ofNanos(System.nanoTime() - begun).toMillis() + " ms");
    }
    return Optional.empty();
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
    List<CompletableFuture<Void>> stopping = new ArrayList<>();
    for (List<Instance> list : instances.values()) {
      list.forEach(instance -> stopping.add(instance.shutdown()));
    }
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

  /** Starting and stopping processes, for the instances. */
  private final class ProcessLauncher implements Instance.Launcher {

    /** Incarnations started and not yet stopped, for the state file: a successor too, while it starts. */
    private final Set<Incarnation> live = ConcurrentHashMap.newKeySet();
    private final Map<Incarnation, String> tags = new ConcurrentHashMap<>();

    @Override
    public Incarnation launch(App app, int number, int generation) throws IOException {
      if (closed) {
        throw new IOException("berth is stopping");
      }
      String tag = app.name() + "." + number;
      Endpoint endpoint = allocate(app, number, generation);
      Process process = processBuilder(app, number, endpoint).start();
      Incarnation incarnation =
          new Incarnation(endpoint, process, LinePump.start(tag, process.getInputStream(), logs.stream(app.name()), output));
      live.add(incarnation);
      tags.put(incarnation, tag);
      changed();
      return incarnation;
    }

    @Override
    public Optional<String> awaitReady(App app, Incarnation incarnation, java.util.function.BooleanSupplier cancelled) {
      String tag = tags.getOrDefault(incarnation, app.name());
      Process process = incarnation.process();
      long deadline = System.nanoTime() + app.startTimeout().toNanos();
      while (true) {
        if (!process.isAlive()) {
          forget(incarnation);
          return Optional.of(
              Instance.withOutput(
                  incarnation, tag + ": exited with code " + process.exitValue() + " before it was ready"));
        }
        if (accepts(incarnation.endpoint())) {
          return Optional.empty();
        }
        if (cancelled.getAsBoolean() || closed) {
          stop(app, incarnation);
          return Optional.of(tag + ": stopped before it was ready");
        }
        if (System.nanoTime() > deadline) {
          stop(app, incarnation);
          return Optional.of(
              Instance.withOutput(
                  incarnation,
                  tag + ": not accepting connections on " + incarnation.endpoint() + " after "
                      + app.startTimeout().toSeconds() + "s"));
        }
        sleep(READY_POLL);
      }
    }

    @Override
    public void route(App app, int number, Incarnation incarnation) {
      incarnation.routed(listener.ready(app.name(), number, incarnation.endpoint()));
    }

    @Override
    public void stop(App app, Incarnation incarnation) {
      incarnation.markStopping();
      incarnation.withdraw();
      stopTree(tags.getOrDefault(incarnation, app.name()), app, incarnation);
      forget(incarnation);
    }

    @Override
    public void changed() {
      live.removeIf(i -> !i.process().isAlive());
      List<StateFile.Entry> entries = new ArrayList<>();
      for (Incarnation i : live) {
        entries.add(new StateFile.Entry(tags.getOrDefault(i, "?"), i.process().pid(), i.started()));
      }
      stateFile.write(entries);
    }

    private void forget(Incarnation incarnation) {
      live.remove(incarnation);
      tags.remove(incarnation);
      removeSocket(incarnation.endpoint());
    }
  }

  private Endpoint allocate(App app, int number, int generation) throws IOException {
    return switch (app.socket()) {
      case UNIX -> {
        // Two names per instance, alternating, so that a successor can start beside the one it
        // replaces (config's socket path check assumes this form).
        Path socket = runDir.resolve(app.name() + "-" + number + "." + (generation % 2) + ".sock");
        // A socket file left by an earlier run would make the app's bind fail.
        Files.deleteIfExists(socket);
        yield new Endpoint.Unix(socket);
      }
      case TCP -> {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
          yield new Endpoint.Tcp(probe.getLocalPort());
        }
      }
    };
  }

  private static ProcessBuilder processBuilder(App app, int number, Endpoint endpoint) {
    // setsid: its own session and process group, so a terminal's Ctrl-C reaches berth alone and
    // berth stops the apps in order; the group lets berth find the whole tree later.
    ProcessBuilder builder = new ProcessBuilder("setsid", "/bin/sh", "-c", shellLine(app.command()));
    builder.directory(app.dir().toFile());
    builder.redirectErrorStream(true);
    Map<String, String> env = builder.environment();
    env.putAll(app.env());
    env.put("BERTH_APP", app.name());
    env.put("BERTH_INSTANCE", Integer.toString(number));
    env.putIfAbsent("PYTHONUNBUFFERED", "1");
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
   * A single command is exec'd, so the app itself (not a shell) is the process berth watches and
   * signals; a list or pipeline ("a && b", "a | b") runs under the shell, whose whole group berth
   * signals anyway.
   */
  static String shellLine(String command) {
    boolean compound = command.matches("(?s).*(&&|\\|\\||;|\\||&|\\n).*");
    return compound ? command : "exec " + command;
  }

  private static boolean accepts(Endpoint endpoint) {
    SocketAddress address =
        switch (endpoint) {
          case Endpoint.Unix unix -> {
            if (!Files.exists(unix.path())) {
              yield null;
            }
            yield UnixDomainSocketAddress.of(unix.path());
          }
          case Endpoint.Tcp tcp -> new InetSocketAddress(InetAddress.getLoopbackAddress(), tcp.port());
        };
    if (address == null) {
      return false;
    }
    StandardProtocolFamily family =
        address instanceof UnixDomainSocketAddress ? StandardProtocolFamily.UNIX : StandardProtocolFamily.INET;
    try (SocketChannel channel = SocketChannel.open(family)) {
      return channel.connect(address);
    } catch (IOException e) {
      return false;
    }
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

  private static void removeSocket(Endpoint endpoint) {
    if (endpoint instanceof Endpoint.Unix unix) {
      try {
        Files.deleteIfExists(unix.path());
      } catch (IOException e) {
        LOG.log(System.Logger.Level.DEBUG, "cannot remove {0}", unix.path());
      }
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
