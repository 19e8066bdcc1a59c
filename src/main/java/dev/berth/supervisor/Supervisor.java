package dev.berth.supervisor;

import static java.util.Objects.requireNonNull;

import dev.berth.config.App;
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
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Runs apps' processes: starts each instance in its own session and process group on an endpoint
 * berth allocates, decides when it is ready, and stops it with its whole process tree. Blocking
 * work (waiting for readiness, for exits) runs on virtual threads.
 */
public final class Supervisor {

  private static final System.Logger LOG = System.getLogger(Supervisor.class.getName());
  private static final Duration READY_POLL = Duration.ofMillis(50);
  private static final Duration KILL_WAIT = Duration.ofSeconds(5);

  private final Path runDir;
  private final PrintStream output;
  private final InstanceListener listener;
  private final List<Instance> instances = new CopyOnWriteArrayList<>();
  /** Set once stopping began: an instance that starts after that is stopped at once. */
  private boolean closed;

  /**
   * @param runDir where instance sockets go; must exist
   * @param output where the apps' output lines are copied
   * @param listener told about instances becoming ready and going away
   */
  public Supervisor(Path runDir, PrintStream output, InstanceListener listener) {
    this.runDir = requireNonNull(runDir, "runDir");
    this.output = requireNonNull(output, "output");
    this.listener = requireNonNull(listener, "listener");
  }

  /** How starting an app went: how many instances became ready, and why the others did not. */
  public record StartResult(App app, int ready, List<String> failures) {}

  /** Starts every instance of every app at once and waits until each is ready or has failed. */
  public List<StartResult> start(Collection<App> apps) {
    try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Map.Entry<App, List<Future<Optional<String>>>>> started = new ArrayList<>();
      for (App app : apps) {
        List<Future<Optional<String>>> futures = new ArrayList<>();
        for (int n = 1; n <= app.instances(); n++) {
          int number = n;
          futures.add(executor.submit(() -> startInstance(app, number)));
        }
        started.add(Map.entry(app, futures));
      }
      List<StartResult> results = new ArrayList<>();
      for (var entry : started) {
        int ready = 0;
        List<String> failures = new ArrayList<>();
        for (Future<Optional<String>> future : entry.getValue()) {
          Optional<String> failure = join(future);
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
  }

  /** @return why the instance did not become ready, or empty when it did */
  private Optional<String> startInstance(App app, int number) {
    String tag = app.name() + "." + number;
    Endpoint endpoint;
    Process process;
    try {
      endpoint = allocate(app, number);
      process = processBuilder(app, number, endpoint).start();
    } catch (IOException e) {
      return Optional.of(tag + ": cannot start: " + e.getMessage());
    }
    Instance instance = new Instance(app, number, endpoint, process, new OutputPump(tag, process.getInputStream(), output));
    synchronized (instances) {
      if (!closed) {
        instances.add(instance);
      }
    }
    if (!instances.contains(instance)) {
      stop(instance);
      return Optional.of(tag + ": not started: berth is stopping");
    }
    long deadline = System.nanoTime() + app.startTimeout().toNanos();
    while (true) {
      if (!process.isAlive()) {
        instances.remove(instance);
        return Optional.of(exitedMessage(instance, "exited with code " + process.exitValue() + " before it was ready"));
      }
      if (accepts(endpoint)) {
        break;
      }
      if (System.nanoTime() > deadline) {
        stop(instance);
        instances.remove(instance);
        return Optional.of(
            exitedMessage(instance, "not accepting connections on " + endpoint + " after " + app.startTimeout().toSeconds() + "s"));
      }
      sleep(READY_POLL);
    }
    if (instance.stopping()) {
      return Optional.of(tag + ": stopped before it was ready");
    }
    process.onExit().thenRun(() -> exited(instance));
    listener.ready(app.name(), number, endpoint);
    return Optional.empty();
  }

  private void exited(Instance instance) {
    if (instance.stopping()) {
      return;
    }
    // Restarting with backoff belongs to the supervisor's next step (issue 4); until then the
    // instance leaves the rotation and the app's other instances keep serving.
    instances.remove(instance);
    listener.gone(instance.app().name(), instance.number(), instance.endpoint());
    LOG.log(
        System.Logger.Level.WARNING,
        "{0} exited unexpectedly with code {1}",
        instance.tag(),
        instance.process().exitValue());
  }

  private static String exitedMessage(Instance instance, String what) {
    List<String> lines = instance.output().lastLines();
    StringBuilder message = new StringBuilder(instance.tag()).append(": ").append(what);
    if (!lines.isEmpty()) {
      message.append("; last output:");
      for (String line : lines.subList(Math.max(0, lines.size() - 5), lines.size())) {
        message.append("\n    ").append(line);
      }
    }
    return message.toString();
  }

  private Endpoint allocate(App app, int number) throws IOException {
    return switch (app.socket()) {
      case UNIX -> {
        Path socket = runDir.resolve(app.name() + "-" + number + ".sock");
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

  /** Stops every instance at once, each with its app's stop timeout, and waits for all. */
  public void stopAll() {
    List<Instance> running;
    synchronized (instances) {
      closed = true;
      running = List.copyOf(instances);
      instances.clear();
    }
    try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
      for (Instance instance : running) {
        executor.submit(() -> stop(instance));
      }
    }
  }

  /**
   * SIGTERM to the instance's whole tree and group, up to its stop timeout for them to exit, then
   * SIGKILL to whatever is left, including processes that appeared meanwhile.
   */
  private void stop(Instance instance) {
    instance.markStopping();
    listener.gone(instance.app().name(), instance.number(), instance.endpoint());
    ProcessHandle leader = instance.process().toHandle();
    // Taken before the leader exits: afterwards its children are re-parented and no longer found.
    Set<ProcessHandle> members = ProcessTree.members(leader);
    ProcessTree.signal(members, false);
    waitForExit(members, instance.app().stopTimeout());
    Set<ProcessHandle> left = new java.util.LinkedHashSet<>(members);
    left.addAll(ProcessTree.members(leader));
    left.removeIf(p -> !p.isAlive());
    if (!left.isEmpty()) {
      LOG.log(
          System.Logger.Level.WARNING,
          "{0}: {1} process(es) still running {2}s after SIGTERM; sending SIGKILL",
          instance.tag(),
          left.size(),
          instance.app().stopTimeout().toSeconds());
      ProcessTree.signal(left, true);
      waitForExit(left, KILL_WAIT);
    }
    try {
      instance.process().waitFor(KILL_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (instance.endpoint() instanceof Endpoint.Unix unix) {
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

  private static Optional<String> join(Future<Optional<String>> future) {
    try {
      return future.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.of("interrupted");
    } catch (java.util.concurrent.ExecutionException e) {
      return Optional.of("failed: " + e.getCause());
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
