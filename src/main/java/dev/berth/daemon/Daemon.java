package dev.berth.daemon;

import static java.util.Objects.requireNonNull;

import dev.berth.accesslog.AccessLog;
import dev.berth.config.App;
import dev.berth.config.Config;
import dev.berth.config.ConfigLines;
import dev.berth.config.Listener;
import dev.berth.config.UpstreamAddress;
import dev.berth.control.CommandRegistry;
import dev.berth.control.ControlProtocol;
import dev.berth.control.ControlServer;
import dev.berth.deploy.AppPlacer;
import dev.berth.deploy.Deployer;
import dev.berth.edge.CannotListen;
import dev.berth.edge.Edge;
import dev.berth.logs.LogSettings;
import dev.berth.logs.Logs;
import dev.berth.routing.RouteTable;
import dev.berth.routing.Router;
import dev.berth.supervisor.Endpoint;
import dev.berth.supervisor.InstanceListener;
import dev.berth.supervisor.Overrides;
import dev.berth.supervisor.StateFile;
import dev.berth.supervisor.Supervisor;
import dev.berth.tls.TlsSites;
import dev.berth.transport.Transport;
import dev.berth.upstream.AppBackend;
import dev.berth.upstream.Backends;
import dev.berth.upstream.HealthChecker;
import dev.berth.upstream.Peer;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import sun.misc.Signal;

/**
 * {@code berth up}: wires config -> edge + supervisor, runs in the foreground until SIGINT or
 * SIGTERM, then stops in order: stop accepting, let in-flight requests finish (bounded), stop the
 * apps with their process trees, exit 0.
 */
public final class Daemon {

  /** How long processes left by a killed berth get after SIGTERM. */
  private static final Duration LEFTOVER_STOP_TIMEOUT = Duration.ofSeconds(10);

  private final Config config;

  /** berth's output; once its log is open, each line goes there too. */
  private PrintStream out;

  /** A berth started by {@code berth up --detach}: its output until it serves; else null. */
  private final BackgroundConsole background;

  private final boolean echo;

  private final CountDownLatch stopRequested = new CountDownLatch(1);

  /** Set once the apps are wired; until then, the config berth started with is what runs. */
  private volatile Reloader reloader;

  /** Which TLS engine the TLS listeners use, for the start line. */
  private volatile String tlsEngine = "";

  public Daemon(Config config, PrintStream out) {
    this(config, out, false);
  }

  /**
   * @param background whether {@code berth up --detach} started it: {@code out} is then a file,
   *     written until berth serves, and its log holds everything (see {@link BackgroundConsole})
   */
  public Daemon(Config config, PrintStream out, boolean background) {
    this(config, out, background, !background);
  }

  /**
   * @param echo whether the apps' output lines are copied to {@code out} as {@code web.1 | line}:
   *     on a terminal, or with {@code berth up --echo}; under a service manager berth's own log and
   *     the apps' files have them already, and copying a flood would cost berth CPU for nothing
   */
  public Daemon(Config config, PrintStream out, boolean background, boolean echo) {
    this.echo = echo;
    this.config = requireNonNull(config, "config");
    requireNonNull(out, "out");
    this.background = background ? new BackgroundConsole(out) : null;
    this.out = background ? this.background.stream() : out;
  }

  /** A line of berth's own, on its output and in its log. */
  private void say(String line) {
    out.println("berth: " + line);
  }

  /** Runs until asked to stop. @return the process exit code */
  public int run() {
    // First, before anything is opened: a transport the config names may not load here.
    Transport transport;
    try {
      transport = Transport.of(config.edge().transport());
    } catch (IllegalStateException e) {
      out.println("berth: " + config.file() + ": " + e.getMessage());
      return 1;
    }
    Path runDir = config.runDir();
    try {
      createPrivateDirectory(config.stateDir());
      createRunDirectory(config.stateDir(), runDir);
    } catch (IOException e) {
      out.println("berth: cannot create run directory " + runDir + ": " + e.getMessage());
      return 1;
    }
    // Before the control socket: of two berths started at once, one goes on, the other stops here.
    PidFile pidFile;
    try {
      pidFile = PidFile.lock(config.stateDir());
    } catch (IOException e) {
      out.println(e.getMessage());
      return 1;
    }
    try {
      return run(transport, runDir, pidFile);
    } finally {
      pidFile.close();
    }
  }

  /** The rest of {@link #run()}, with the state dir's lock held. */
  private int run(Transport transport, Path runDir, PidFile pidFile) {
    ControlServer control;
    CommandRegistry commands = new CommandRegistry();
    try {
      control =
          ControlServer.start(config.stateDir().resolve(ControlProtocol.SOCKET_NAME), commands);
    } catch (IOException e) {
      out.println(
          e.getMessage().startsWith("berth ") ? e.getMessage() : "berth: " + e.getMessage());
      return 1;
    }
    Logs logs;
    try {
      logs = new Logs(LogSettings.defaults(config.stateDir().resolve("log")));
    } catch (IOException e) {
      out.println("berth: cannot create log directory: " + e.getMessage());
      control.close();
      return 1;
    }
    OwnLog ownLog = OwnLog.start(logs.berth());
    PrintStream console = out;
    out = ownLog.tee(console);
    if (background != null) {
      ownLog.takeOverStandardStreams(console);
      out.println("berth: started by berth up --detach, pid " + ProcessHandle.current().pid());
    }
    out.println("berth: state in " + config.stateDir() + " (releases, logs, app data)");
    // The control socket proves no other berth runs here: what a previous one left is ours to end.
    StateFile stateFile = new StateFile(config.stateDir().resolve("processes.json"));
    List<String> leftovers = stateFile.endLeftovers(LEFTOVER_STOP_TIMEOUT);
    if (!leftovers.isEmpty()) {
      out.println(
          "berth: ended processes left running by a previous berth that did not stop cleanly:");
      leftovers.forEach(line -> out.println("berth:   " + line));
    }
    int eventLoops = eventLoops(config.edge().threads());
    EventLoopGroup group = transport.newEventLoopGroup(eventLoops, "berth-edge");
    String engine =
        transport.name() + ", " + eventLoops + (eventLoops == 1 ? " event loop" : " event loops");
    Backends backends = new Backends();
    config.apps().values().forEach(backends::define);
    AccessLog accessLog = new AccessLog(out);
    Router router = new Router(RouteTable.of(config.routes()));
    Edge edge =
        new Edge(
            transport,
            group,
            config.edge(),
            router,
            backends,
            accessLog,
            route -> route == null ? running().accessLog() : route.accessLog());
    TlsSites tls;
    try {
      tls = TlsSites.of(config);
    } catch (IOException e) {
      out.println("berth: TLS: " + e.getMessage());
      control.close();
      ownLog.close();
      logs.close();
      accessLog.close();
      group.shutdownGracefully(0, 0, TimeUnit.SECONDS).awaitUninterruptibly();
      return 1;
    }
    edge.tls(tls);
    tlsEngine = tls.describe();
    if (tls.internalRoot() != null) {
      out.println(
          "berth: tls = \"internal\": certificates signed by berth's own root "
              + tls.internalRoot()
              + " (trust it: curl --cacert "
              + tls.internalRoot()
              + ", or add it to the system's trust store)");
    }
    List<Listener> bound;
    try {
      bound = edge.bind(config.listeners());
    } catch (CannotListen e) {
      out.println(where(config, e.listener()) + ": " + e.getMessage());
      control.close();
      ownLog.close();
      logs.close();
      accessLog.close();
      group.shutdownGracefully(0, 0, TimeUnit.SECONDS).awaitUninterruptibly();
      return 1;
    }
    AcmeIssuance acme = new AcmeIssuance(config.stateDir(), edge, tls, line -> say(line));
    try {
      acme.apply(config);
    } catch (IOException e) {
      out.println("berth: ACME: " + e.getMessage() + "; certificates are not ordered");
    }
    Supervisor supervisor =
        new Supervisor(
            runDir,
            logs,
            console,
            echo ? console : null,
            registerWith(backends, transport),
            stateFile,
            new Overrides(config.stateDir().resolve("overrides")));
    Deployer deployer =
        new Deployer(
            supervisor, logs, config.stateDir(), config.apps().values(), line -> out.println(line));
    new ControlCommands(
            supervisor,
            logs,
            deployer,
            new CertificateCommands(acme::current),
            this::running,
            edge.maintenance())
        .registerIn(commands);
    MaintenanceCommand maintenance =
        new MaintenanceCommand(
            edge.maintenance(),
            new MaintenanceStore(config.stateDir().resolve("maintenance")),
            this::running);
    maintenance.restore(out::println);
    maintenance.registerIn(commands);
    HealthChecker healthChecker = new HealthChecker(transport, group);
    healthChecker.start(backends.all());
    Reloader reloader =
        new Reloader(
            config,
            supervisor,
            backends,
            edge,
            router,
            healthChecker,
            deployer,
            address -> addressOf(address, transport),
            tls,
            acme);
    this.reloader = reloader;
    commands.register(
        "reload", (request, replies) -> ReloadRequests.control(reloader, request, replies));
    installSignalHandlers();
    // As nginx: `kill -HUP` reads the config again; off the signal thread, as a reload may take a
    // while.
    Signals.handle(
            "HUP",
            () ->
                Thread.ofVirtual()
                    .name("berth-reload")
                    .start(() -> ReloadRequests.onSignal(reloader, out)))
        .ifPresent(problem -> out.println("berth: WARNING: " + problem + ": it will not reload"));
    // As nginx after logrotate: `kill -USR1` reopens the access logs at their paths.
    Signal.handle(new Signal("USR1"), signal -> accessLog.reopen());
    Runtime.getRuntime().addShutdownHook(new Thread(supervisor::stopAll, "berth-stop-apps"));
    Thread idleCollector = IdleCollector.start();

    // Apps berth does not run take traffic at once; a dead address is found by the edge.
    List<App> external = config.apps().values().stream().filter(App::external).toList();
    for (App app : external) {
      app.backend()
          .upstreams()
          .forEach(address -> backends.define(app).add(addressOf(address, transport)));
    }
    // Started off the main thread so that a signal during a slow start stops everything at once.
    // A reload asked meanwhile waits for this start, and then compares with what runs.
    Thread.ofVirtual()
        .name("berth-start")
        .start(
            () ->
                reloader.starting(
                    () -> {
                      start(external, deployer, supervisor, bound, engine);
                      serving(pidFile);
                    }));
    awaitStop();

    reloader.close();
    acme.close();
    idleCollector.interrupt();
    Duration shutdownTimeout = running().shutdownTimeout();
    out.println(
        "berth: stopping: draining connections (up to " + shutdownTimeout.toSeconds() + "s)");
    edge.drain(shutdownTimeout);
    accessLog.close();
    out.println("berth: stopping apps");
    healthChecker.close();
    supervisor.stopAll();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    control.close();
    out.println("berth: stopped");
    markClassArchive();
    ownLog.close();
    logs.close();
    return 0;
  }

  /**
   * The apps berth runs, each placed in a release: its current one, or a new copy of its folder
   * when it has none or the folder changed since (Deployer.runnable).
   */
  private List<AppPlacer.Placed> placed(Deployer deployer) {
    return config.apps().values().stream()
        .filter(app -> !app.external())
        .map(
            app ->
                deployer.runnable(
                    app,
                    line -> out.println("berth: " + line),
                    warning -> out.println("berth: WARNING: " + warning)))
        .toList();
  }

  /**
   * Once the start is over: the pid file names this berth, and one started by {@code berth up
   * --detach} writes no more to its standard output (the command that started it returns).
   */
  private void serving(PidFile pidFile) {
    if (stopRequested.getCount() == 0) {
      return;
    }
    if (background != null) {
      background.announce(out, config.stateDir());
    }
    try {
      pidFile.serving();
    } catch (IOException e) {
      // berth up --detach waits for it: without it, berth would serve unseen.
      out.println(
          "berth: cannot write "
              + PidFile.NAME
              + ": "
              + e.getMessage()
              + (background == null ? "" : "; stopping"));
      if (background != null) {
        stopRequested.countDown();
      }
      return;
    }
    if (background != null) {
      background.stop();
    }
  }

  /**
   * Tells the launcher that what the JVM writes as it exits for its start-up cache (an AOT
   * configuration, or a class data sharing archive) comes from a daemon that ran until stopped, not
   * from one that ended at once and loaded few classes (see {@code ./berth}).
   */
  private static void markClassArchive() {
    String marker = System.getProperty("berth.cds.served");
    if (marker == null) {
      return;
    }
    try {
      Files.writeString(Path.of(marker), "");
    } catch (IOException e) {
      // The next start makes a new archive.
    }
  }

  /** The config berth runs now: the one it started with, as changed by reloads. */
  private Config running() {
    Reloader r = reloader;
    return r == null ? config : r.running();
  }

  /**
   * Places the apps in their releases, starts those that may start, and says how it went; an app
   * held (its release phase failed, say) is not started: a deploy starts it once fixed.
   */
  private void start(
      List<App> external,
      Deployer deployer,
      Supervisor supervisor,
      List<Listener> bound,
      String engine) {
    List<AppPlacer.Placed> placed = placed(deployer);
    List<Supervisor.StartResult> results =
        supervisor.start(
            placed.stream().filter(p -> p.held().isEmpty()).map(p -> p.app()).toList());
    if (stopRequested.getCount() == 0) {
      return;
    }
    new StartReport(config, out).print(placed, external, results, bound, engine, tlsEngine);
  }

  /**
   * Where a listener is in the config, as a config error names a key: {@code berth.toml:3:
   * listeners[0].address}.
   */
  static String where(Config config, Listener listener) {
    return ConfigLines.of(config)
        .where(ConfigLines.listenerAddress(config.listeners().indexOf(listener)));
  }

  /**
   * The event loops for {@code [edge] threads}. The default ({@code 0}) is half the cores: berth
   * shares the host with the apps it runs. On 2 cores, with the load generator and the app on the
   * same cores, one loop had the better p99 and a second added no req/s (bench/RESULTS.md).
   */
  private static int eventLoops(int configured) {
    return configured > 0
        ? configured
        : Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
  }

  private static InstanceListener registerWith(Backends backends, Transport transport) {
    return new InstanceListener() {
      @Override
      public Routed ready(String app, int instance, Endpoint endpoint) {
        AppBackend backend = backends.find(app).orElseThrow();
        return new RoutedPeer(backend, backend.add(addressOf(endpoint, transport)));
      }

      @Override
      public Routed standby(String app, int instance, Endpoint endpoint) {
        AppBackend backend = backends.find(app).orElseThrow();
        return new RoutedPeer(backend, backend.standby(addressOf(endpoint, transport)));
      }

      @Override
      public void serveFrom(String app, Path release) {
        backends.find(app).orElseThrow().serveFrom(release);
      }

      @Override
      public void switchOver(String app, Path release, List<Routed> serving) {
        AppBackend backend = backends.find(app).orElseThrow();
        backend.replaceAll(
            serving.stream().map(routed -> ((RoutedPeer) routed).peer()).toList(), release);
      }
    };
  }

  /** An instance's peer in its app's backend (in rotation, or waiting for a deploy's switch). */
  private record RoutedPeer(AppBackend backend, Peer peer) implements InstanceListener.Routed {
    @Override
    public void withdraw() {
      backend.remove(peer);
    }

    @Override
    public int inFlight() {
      return peer.active();
    }

    @Override
    public long requests() {
      return peer.requests();
    }

    @Override
    public int tunnels() {
      return peer.tunnels();
    }

    @Override
    public void closeTunnels() {
      try {
        // Going away takes at most the edge's grace; past this the stop goes ahead anyway.
        peer.closeTunnels().get(10, java.util.concurrent.TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        // The process stops now; whatever is left of its connections closes with it.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    @Override
    public InstanceListener.Watch watch() {
      return new PeerWatch(peer);
    }
  }

  private static SocketAddress addressOf(UpstreamAddress address, Transport transport) {
    return switch (address) {
      case UpstreamAddress.Unix unix -> transport.unixAddress(unix.path());
      // Resolved once, here: a lookup on the event loop would block every connection on it.
      case UpstreamAddress.Tcp tcp -> new InetSocketAddress(tcp.host(), tcp.port());
    };
  }

  private static SocketAddress addressOf(Endpoint endpoint, Transport transport) {
    return switch (endpoint) {
      case Endpoint.Unix unix -> transport.unixAddress(unix.path());
      case Endpoint.Tcp tcp ->
          new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), tcp.port());
    };
  }

  private void installSignalHandlers() {
    // Handled rather than left to shutdown hooks: berth must finish draining and exit 0.
    for (String name : List.of("TERM", "INT")) {
      Signals.handle(name, stopRequested::countDown)
          .ifPresent(
              problem -> out.println("berth: WARNING: " + problem + ": it will not stop berth"));
    }
  }

  private void awaitStop() {
    while (true) {
      try {
        stopRequested.await();
        return;
      } catch (InterruptedException e) {
        // Only a signal ends the daemon.
      }
    }
  }

  /**
   * Creates {@code dir} readable by its owner only. An existing directory keeps its mode: state_dir
   * may be a directory the user chose and set up; the run directory is checked separately.
   */
  private static void createPrivateDirectory(Path dir) throws IOException {
    if (Files.isDirectory(dir)) {
      return;
    }
    Files.createDirectories(dir.getParent());
    Files.createDirectory(
        dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
  }

  /**
   * The run directory holds the apps' sockets, each app's in a directory of its own, private to the
   * app's user. A root berth runs apps as other users, who must pass through the state and run
   * directories (x, not r) to reach theirs; everything else in the state dir has private modes.
   */
  private static void createRunDirectory(Path stateDir, Path dir) throws IOException {
    createPrivateDirectory(dir);
    boolean root = dev.berth.config.UserAccount.currentUid() == 0;
    Files.setPosixFilePermissions(
        dir, PosixFilePermissions.fromString(root ? "rwx--x--x" : "rwx------"));
    if (root) {
      var modes = new java.util.HashSet<>(Files.getPosixFilePermissions(stateDir));
      modes.add(java.nio.file.attribute.PosixFilePermission.OTHERS_EXECUTE);
      modes.add(java.nio.file.attribute.PosixFilePermission.GROUP_EXECUTE);
      Files.setPosixFilePermissions(stateDir, modes);
    }
  }
}
