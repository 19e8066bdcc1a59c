package dev.berth.daemon;

import static java.util.Objects.requireNonNull;

import dev.berth.config.App;
import dev.berth.config.Config;
import dev.berth.config.ConfigException;
import dev.berth.config.ConfigLoader;
import dev.berth.config.Listener;
import dev.berth.config.UpstreamAddress;
import dev.berth.control.ControlException;
import dev.berth.deploy.AppPlacer;
import dev.berth.deploy.Deployer;
import dev.berth.edge.CannotListen;
import dev.berth.edge.Edge;
import dev.berth.routing.RouteTable;
import dev.berth.routing.Router;
import dev.berth.supervisor.Supervisor;
import dev.berth.tls.TlsSites;
import dev.berth.upstream.AppBackend;
import dev.berth.upstream.Backends;
import dev.berth.upstream.HealthChecker;
import java.io.IOException;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * {@code berth reload} and SIGHUP: reads the config file berth was started with again and applies
 * the difference ({@link ConfigChange}) to the running edge and supervisor, without disturbing
 * traffic. An invalid file, or one that changes what cannot change while berth runs, is rejected
 * whole and nothing changes.
 *
 * <p>The steps, in this order, so that nothing is ever routed to what is not there yet, and nothing
 * is taken away while a route still leads to it:
 *
 * <ol>
 *   <li>added apps start, and must be ready (their backends are defined first);
 *   <li>changed apps are redeployed, one at a time, by the deploy flow;
 *   <li>added listeners are bound;
 *   <li>the route table is swapped (one volatile write), with the global settings;
 *   <li>removed listeners stop accepting, and their connections finish their current exchange;
 *   <li>removed apps drain and stop, and their backends go.
 * </ol>
 *
 * <p>A step whose items all worked stays applied. When an item fails, the item keeps its old state
 * (an added app that did not become ready is stopped again, a changed app's running generation
 * keeps serving, a listener that cannot bind is not there), the other items of that step stay
 * applied, and the later steps are not applied at all: berth then runs a config between the two,
 * which it remembers, so that the next reload applies what is left.
 */
final class Reloader {

  static final String INVALID_CONFIG = "invalid_config";
  static final String NOT_RELOADABLE = "not_reloadable";

  private final Supervisor supervisor;
  private final Backends backends;
  private final Edge edge;
  private final Router router;
  private final HealthChecker healthChecker;
  private final Deployer deployer;
  private final Function<UpstreamAddress, SocketAddress> addresses;
  private final TlsSites tls;
  private final AcmeIssuance acme;

  /** The config berth runs now: what it was started with, changed by each reload. */
  private volatile Config running;

  private volatile boolean closed;

  Reloader(
      Config initial,
      Supervisor supervisor,
      Backends backends,
      Edge edge,
      Router router,
      HealthChecker healthChecker,
      Deployer deployer,
      Function<UpstreamAddress, SocketAddress> addresses,
      TlsSites tls,
      AcmeIssuance acme) {
    this.running = requireNonNull(initial, "initial");
    this.supervisor = requireNonNull(supervisor, "supervisor");
    this.backends = requireNonNull(backends, "backends");
    this.edge = requireNonNull(edge, "edge");
    this.router = requireNonNull(router, "router");
    this.healthChecker = requireNonNull(healthChecker, "healthChecker");
    this.deployer = requireNonNull(deployer, "deployer");
    this.addresses = requireNonNull(addresses, "addresses");
    this.tls = requireNonNull(tls, "tls");
    this.acme = requireNonNull(acme, "acme");
  }

  /** The config berth runs now. */
  Config running() {
    return running;
  }

  /**
   * Runs berth's first start; a reload asked meanwhile waits for it, then compares with what runs.
   */
  synchronized void starting(Runnable start) {
    start.run();
  }

  /**
   * No reload from now on: berth is stopping. Not waiting for one in progress (or for the first
   * start): the supervisor refuses to start anything once stopping, so it ends soon.
   */
  void close() {
    closed = true;
  }

  /** The whole config was not applied: why, one line each. */
  static final class Rejected extends Exception {
    private final String code;
    private final List<String> lines;

    Rejected(String code, String summary, List<String> lines) {
      super(summary, null, false, false);
      this.code = code;
      this.lines = List.copyOf(lines);
    }

    String code() {
      return code;
    }

    List<String> lines() {
      return lines;
    }
  }

  /**
   * How a reload went.
   *
   * @param loaded the config as read from the file
   * @param applied what changed, one line each, in the order applied
   * @param failed what was tried and did not work (and kept its old state), one line each
   * @param skipped what was not tried because an earlier step failed
   */
  record Outcome(Config loaded, List<String> applied, List<String> failed, List<String> skipped) {
    Outcome {
      applied = List.copyOf(applied);
      failed = List.copyOf(failed);
      skipped = List.copyOf(skipped);
    }
  }

  /**
   * Reads the config file again and applies what changed. One reload at a time; a second one waits
   * and then compares with what the first left running.
   *
   * @param applied told about each change once it is applied, as a line
   * @param progress told about the steps of a redeploy, as lines
   * @throws Rejected when the file is invalid or changes what cannot change live: nothing changed
   */
  synchronized Outcome reload(Consumer<String> applied, Consumer<String> progress) throws Rejected {
    Config old = running;
    if (closed) {
      throw new Rejected(ControlException.SHUTTING_DOWN, "berth is stopping", List.of());
    }
    Config next;
    try {
      next = ConfigLoader.load(old.file());
    } catch (ConfigException e) {
      throw new Rejected(
          INVALID_CONFIG,
          "reload rejected: " + old.file() + " is not valid; berth runs on with its current config",
          e.problems());
    }
    ConfigChange change = ConfigChange.between(old, next);
    if (!change.refused().isEmpty()) {
      throw new Rejected(
          NOT_RELOADABLE,
          "reload rejected: "
              + old.file()
              + " changes what cannot change while berth runs; nothing was applied",
          change.refused());
    }
    // userenv hook: the apps this reload starts are checked as berth up checks them.
    PreflightChecks.Report preflight = PreflightChecks.of(next, PreflightChecks.starting(change));
    preflight.warnings().forEach(line -> progress.accept("WARNING: " + line));
    if (!preflight.ok()) {
      throw new Rejected(
          INVALID_CONFIG,
          "reload rejected: " + old.file() + ": an app could not start; nothing was applied",
          preflight.errors());
    }
    // Certificate files read again, and certificates for new hosts, before anything else: a file
    // that no longer reads rejects the reload whole. Connections keep what they shook hands with.
    try {
      tls.reload(next);
    } catch (IOException e) {
      throw new Rejected(
          INVALID_CONFIG,
          "reload rejected: TLS: " + e.getMessage() + "; nothing was applied",
          List.of(e.getMessage()));
    }
    Outcome outcome = new Apply(old, next, change, applied, progress).run();
    // Certificates for the hosts now routed to tls = "acme" listeners: ordered in the background.
    try {
      acme.apply(running);
    } catch (IOException e) {
      progress.accept("WARNING: ACME: " + e.getMessage() + "; certificates are not ordered");
    }
    return outcome;
  }

  /** One reload's application of a change, step by step, and the config it leaves running. */
  private final class Apply {
    private final Config old;
    private final Config next;
    private final ConfigChange change;
    private final Consumer<String> applied;
    private final Consumer<String> progress;
    private final List<String> done = new ArrayList<>();
    private final List<String> failed = new ArrayList<>();
    // What runs, as it becomes true: the running config once an item is applied.
    private final Map<String, App> apps;
    private final List<Listener> listeners;

    /** Removed listeners already unbound in step 3, to free their port for an added one. */
    private final List<Listener> unboundEarly = new ArrayList<>();

    private boolean routesSwapped;

    Apply(
        Config old,
        Config next,
        ConfigChange change,
        Consumer<String> applied,
        Consumer<String> progress) {
      this.old = old;
      this.next = next;
      this.change = change;
      this.applied = applied;
      this.progress = progress;
      this.apps = new LinkedHashMap<>(old.apps());
      this.listeners = new ArrayList<>(old.listeners());
    }

    Outcome run() {
      List<Runnable> steps =
          List.of(
              this::addApps,
              this::changeApps,
              this::addListeners,
              this::swapRoutes,
              this::removeListeners,
              this::removeApps);
      List<List<String>> plans =
          List.of(
              change.addedApps().stream().map(a -> "app + " + a.name()).toList(),
              change.changedApps().stream().map(c -> "app ~ " + c.after().name()).toList(),
              change.addedListeners().stream()
                  .map(l -> "listener + " + ConfigChange.address(l))
                  .toList(),
              concat(change.routeLines(), change.settings()),
              change.removedListeners().stream()
                  .map(l -> "listener - " + ConfigChange.address(l))
                  .toList(),
              change.removedApps().stream().map(a -> "app - " + a.name()).toList());
      List<String> skipped = new ArrayList<>();
      for (int i = 0; i < steps.size(); i++) {
        if (!failed.isEmpty()) {
          skipped.addAll(plans.get(i));
          continue;
        }
        steps.get(i).run();
      }
      if (failed.isEmpty()) {
        running = next;
      } else {
        // Between the two: what was applied, and the old state of the rest. Routes and settings
        // change together in step 4, so they are either all old or all new.
        Config source = routesSwapped ? next : old;
        running =
            new Config(
                old.file(),
                old.stateDir(),
                source.shutdownTimeout(),
                source.edge(),
                source.accessLog(),
                listeners,
                apps,
                source.routes(),
                source.tls());
      }
      return new Outcome(next, done, failed, skipped);
    }

    // 1. Added apps: backends first, so that a ready instance has somewhere to join.
    private void addApps() {
      List<App> supervised = new ArrayList<>();
      for (App app : change.addedApps()) {
        AppBackend backend = backends.define(app);
        healthChecker.start(backend);
        if (app.external()) {
          app.backend().upstreams().forEach(address -> backend.add(addresses.apply(address)));
          apps.put(app.name(), app);
          applied("app + " + app.name() + ": proxying to " + ConfigChange.upstreams(app));
        } else {
          supervised.add(app);
        }
      }
      if (supervised.isEmpty()) {
        return;
      }
      // All at once, as at berth's start; one that was deployed before (and then removed from the
      // config) runs its current release again.
      List<App> runnable = new ArrayList<>();
      for (App app : supervised) {
        AppPlacer.Placed placed =
            deployer.runnable(app, progress, warning -> progress.accept("WARNING: " + warning));
        if (placed.held().isPresent()) {
          // Not there before, so not there now.
          backends.remove(app.name()).ifPresent(healthChecker::stop);
          failed.add(
              "app + "
                  + app.name()
                  + ": not started: "
                  + placed.held().get()
                  + " (it is not added)");
        } else {
          runnable.add(placed.app());
        }
      }
      for (Supervisor.StartResult result : supervisor.start(runnable)) {
        App app = next.apps().get(result.app().name());
        if (result.failures().isEmpty()) {
          apps.put(app.name(), app);
          deployer.define(app);
          applied(
              "app + " + app.name() + ": started (" + supervisor.instanceCounts(app.name()) + ")");
          continue;
        }
        // Not there before, so not there now: no half-started app left retrying in the background.
        supervisor.removeApp(app.name());
        backends.remove(app.name()).ifPresent(healthChecker::stop);
        failed.add(
            "app + "
                + app.name()
                + ": not started: "
                + String.join("; ", result.failures())
                + " (stopped again; it is not added)");
      }
    }

    // 2. Changed apps, one at a time: a redeploy starts a whole generation beside the old one.
    private void changeApps() {
      for (ConfigChange.AppChange appChange : change.changedApps()) {
        App before = appChange.before();
        App after = appChange.after();
        AppBackend backend = backends.find(after.name()).orElseGet(() -> backends.define(after));
        if (before.external() && after.external()) {
          repoint(backend, before, after);
          applied("app ~ " + after.name() + ": proxying to " + ConfigChange.upstreams(after));
        } else if (before.external()) {
          becomeSupervised(backend, before, after);
        } else if (after.external()) {
          becomeExternal(backend, before, after);
        } else {
          redeploy(backend, after);
        }
      }
    }

    /**
     * An app berth does not run, with other addresses or settings: the new peers join, then the old
     * leave.
     */
    private void repoint(AppBackend backend, App before, App after) {
      backend.reconfigure(after);
      List<SocketAddress> wanted = after.backend().upstreams().stream().map(addresses).toList();
      wanted.forEach(backend::add);
      before.backend().upstreams().stream()
          .map(addresses)
          .filter(a -> !wanted.contains(a))
          .forEach(backend::remove);
      healthChecker.start(backend);
      apps.put(after.name(), after);
    }

    /**
     * Proxied until now, run by berth from now on: its instances must be ready before the addresses
     * leave.
     */
    private void becomeSupervised(AppBackend backend, App before, App after) {
      backend.reconfigure(after);
      AppPlacer.Placed placed =
          deployer.runnable(after, progress, warning -> progress.accept("WARNING: " + warning));
      List<String> failures =
          placed.held().isPresent()
              ? List.of(placed.held().get())
              : supervisor.start(List.of(placed.app())).get(0).failures();
      if (!failures.isEmpty()) {
        supervisor.removeApp(after.name());
        backend.reconfigure(before);
        failed.add(
            "app ~ "
                + after.name()
                + ": not started: "
                + String.join("; ", failures)
                + " (it goes on proxying to "
                + ConfigChange.upstreams(before)
                + ")");
        return;
      }
      before.backend().upstreams().stream().map(addresses).forEach(backend::remove);
      healthChecker.start(backend);
      apps.put(after.name(), after);
      deployer.define(after);
      applied(
          "app ~ "
              + after.name()
              + ": started ("
              + supervisor.instanceCounts(after.name())
              + "), no longer proxying");
    }

    /**
     * Run by berth until now, proxied from now on: the addresses join, then its instances drain and
     * stop.
     */
    private void becomeExternal(AppBackend backend, App before, App after) {
      after.backend().upstreams().stream().map(addresses).forEach(backend::add);
      Optional<String> busy = remove(after.name());
      if (busy.isPresent()) {
        after.backend().upstreams().stream().map(addresses).forEach(backend::remove);
        failed.add("app ~ " + after.name() + ": " + busy.get() + " (it goes on running)");
        return;
      }
      backend.reconfigure(after);
      healthChecker.start(backend);
      apps.put(after.name(), after);
      applied(
          "app ~ "
              + after.name()
              + ": proxying to "
              + ConfigChange.upstreams(after)
              + "; its processes stopped");
    }

    /**
     * The deploy flow with the new definition (and the code the app runs now): a new generation
     * starts beside the old one, takes the traffic once all of it is ready, and the old one drains
     * and stops. A failure leaves the old generation serving.
     */
    private void redeploy(AppBackend backend, App after) {
      Deployer.Result result = deployer.redeploy(after, progress);
      if (!result.ok()) {
        failed.add("app ~ " + after.name() + ": not redeployed: " + result.failure());
        return;
      }
      backend.reconfigure(after);
      healthChecker.start(backend);
      apps.put(after.name(), after);
      applied(
          "app ~ "
              + after.name()
              + ": redeployed ("
              + supervisor.instanceCounts(after.name())
              + ")");
    }

    // 3. Added listeners, before any is removed: no moment without a listener.
    private void addListeners() {
      for (Listener listener : change.addedListeners()) {
        // Two listeners on one port (127.0.0.1:8080 instead of :8080) cannot be bound at once:
        // the old one goes first, for the moment it takes. (A unix socket's path is taken over in
        // place by the edge.)
        Optional<Listener> samePort =
            change.removedListeners().stream().filter(l -> l.collidesWith(listener)).findFirst();
        samePort.ifPresent(l -> edge.unbind(l, next.shutdownTimeout()));
        try {
          edge.bind(listener);
        } catch (CannotListen e) {
          samePort.ifPresent(this::rebind);
          failed.add(Daemon.where(next, listener) + ": " + e.getMessage());
          continue;
        }
        listeners.add(listener);
        applied("listener + " + ConfigChange.address(listener));
        samePort.ifPresent(
            l -> {
              unboundEarly.add(l);
              listeners.remove(l);
              applied("listener - " + ConfigChange.address(l));
            });
      }
    }

    /** Puts back a listener taken away for a new one that then could not bind. */
    private void rebind(Listener listener) {
      try {
        edge.bind(listener);
      } catch (CannotListen e) {
        listeners.remove(listener);
        failed.add(
            "listener - "
                + ConfigChange.address(listener)
                + ": unbound for its replacement, and cannot listen again: "
                + e.getMessage());
      }
    }

    // 4. Routes and global settings: one swap. Exchanges in progress keep the route they matched.
    private void swapRoutes() {
      if (change.routeTableChanged()) {
        router.replace(RouteTable.of(next.routes()));
        edge.routesReplaced();
      }
      if (!old.edge().equals(next.edge())) {
        edge.reconfigure(next.edge());
      }
      routesSwapped = true;
      change.routeLines().forEach(this::applied);
      change.settings().forEach(this::applied);
    }

    // 5. Removed listeners: they stop accepting; their connections end after their exchange.
    private void removeListeners() {
      for (Listener listener : change.removedListeners()) {
        if (unboundEarly.contains(listener)) {
          continue;
        }
        edge.unbind(listener, next.shutdownTimeout());
        listeners.remove(listener);
        applied("listener - " + ConfigChange.address(listener));
      }
    }

    // 6. Removed apps: no route leads to them any more; their requests finish, then they stop.
    private void removeApps() {
      for (App app : change.removedApps()) {
        if (!app.external()) {
          Optional<String> busy = remove(app.name());
          if (busy.isPresent()) {
            failed.add(
                "app - "
                    + app.name()
                    + ": "
                    + busy.get()
                    + " (it goes on running, without routes)");
            continue;
          }
        }
        backends.remove(app.name()).ifPresent(healthChecker::stop);
        apps.remove(app.name());
        applied("app - " + app.name() + (app.external() ? ": no longer proxied" : ": stopped"));
      }
    }

    private void applied(String line) {
      done.add(line);
      applied.accept(line);
    }

    /**
     * Stops the app's instances for good (drained first) and forgets it, unless a deploy, restart,
     * scale... of it is in progress. @return why not, or empty once it is gone
     */
    private Optional<String> remove(String app) {
      try (Supervisor.Exclusive exclusive = supervisor.exclusive(app, "reload")) {
        supervisor.removeApp(app);
        deployer.forget(app);
        return Optional.empty();
      } catch (IllegalStateException e) {
        return Optional.of(e.getMessage());
      }
    }
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }
}
