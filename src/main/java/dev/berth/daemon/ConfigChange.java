package dev.berth.daemon;

import static java.util.Objects.requireNonNull;

import dev.berth.config.App;
import dev.berth.config.Config;
import dev.berth.config.Listener;
import dev.berth.config.Route;
import dev.berth.config.UpstreamAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * What a reload changes: the difference between the config berth runs and the one it read again.
 * Pure: it compares records and decides nothing about how the change is applied ({@link Reloader}
 * does that).
 *
 * <p>Apps are the same app when they have the same name, and changed when any key differs.
 * Listeners are their host and port, so they are only added or removed. Routes are the same route
 * when they have the same host and path, and changed when their target or options differ; the line
 * a route is on does not count.
 *
 * @param refused changes berth cannot make while it runs, one line each; when any, nothing is
 *     applied
 * @param settings global settings that changed, one line each (they apply with the routes)
 */
record ConfigChange(
    List<App> addedApps,
    List<AppChange> changedApps,
    List<App> removedApps,
    List<Listener> addedListeners,
    List<Listener> removedListeners,
    List<Route> addedRoutes,
    List<RouteChange> changedRoutes,
    List<Route> removedRoutes,
    boolean routeTableChanged,
    List<String> settings,
    List<String> refused) {

  ConfigChange {
    addedApps = List.copyOf(addedApps);
    changedApps = List.copyOf(changedApps);
    removedApps = List.copyOf(removedApps);
    addedListeners = List.copyOf(addedListeners);
    removedListeners = List.copyOf(removedListeners);
    addedRoutes = List.copyOf(addedRoutes);
    changedRoutes = List.copyOf(changedRoutes);
    removedRoutes = List.copyOf(removedRoutes);
    settings = List.copyOf(settings);
    refused = List.copyOf(refused);
  }

  /** An app whose definition changed. */
  record AppChange(App before, App after) {
    AppChange {
      requireNonNull(before, "before");
      requireNonNull(after, "after");
    }
  }

  /** A route (same host and path) whose target or options changed. */
  record RouteChange(Route before, Route after) {
    RouteChange {
      requireNonNull(before, "before");
      requireNonNull(after, "after");
    }
  }

  /** What it takes to go from {@code running} to {@code next}. */
  static ConfigChange between(Config running, Config next) {
    requireNonNull(running, "running");
    requireNonNull(next, "next");
    List<String> refused = new ArrayList<>();
    if (!running.stateDir().equals(next.stateDir())) {
      refused.add(
          "state_dir: "
              + running.stateDir()
              + " -> "
              + next.stateDir()
              + ": it cannot change while berth runs (its control socket, logs and app sockets are there);"
              + " restart berth to use it");
    }

    List<App> addedApps = new ArrayList<>();
    List<AppChange> changedApps = new ArrayList<>();
    for (App app : next.apps().values()) {
      App before = running.apps().get(app.name());
      if (before == null) {
        addedApps.add(app);
      } else if (!before.equals(app)) {
        changedApps.add(new AppChange(before, app));
      }
    }
    List<App> removedApps =
        running.apps().values().stream()
            .filter(app -> !next.apps().containsKey(app.name()))
            .toList();

    List<Listener> addedListeners =
        next.listeners().stream().filter(l -> !running.listeners().contains(l)).toList();
    List<Listener> removedListeners =
        running.listeners().stream().filter(l -> !next.listeners().contains(l)).toList();

    Map<String, Route> before = byKey(running.routes());
    Map<String, Route> after = byKey(next.routes());
    List<Route> addedRoutes = new ArrayList<>();
    List<RouteChange> changedRoutes = new ArrayList<>();
    after.forEach(
        (key, route) -> {
          Route old = before.get(key);
          if (old == null) {
            addedRoutes.add(route);
          } else if (!sameRoute(old, route)) {
            changedRoutes.add(new RouteChange(old, route));
          }
        });
    List<Route> removedRoutes = new ArrayList<>();
    before.forEach(
        (key, route) -> {
          if (!after.containsKey(key)) {
            removedRoutes.add(route);
          }
        });
    // A route table decides by host and path alone, not by file order: a table needs swapping
    // exactly when a route came, went or changed.
    boolean routeTableChanged =
        !addedRoutes.isEmpty() || !changedRoutes.isEmpty() || !removedRoutes.isEmpty();

    List<String> settings = new ArrayList<>();
    if (running.edge().differsAtStart(next.edge())) {
      settings.add("setting ~ [edge] threads, transport: apply when berth restarts");
    }
    if (running.edge().differsLive(next.edge())) {
      settings.add("setting ~ [edge]: applies to new connections");
    }
    if (!running.shutdownTimeout().equals(next.shutdownTimeout())) {
      settings.add(
          "setting ~ shutdown_timeout: "
              + seconds(running.shutdownTimeout())
              + " -> "
              + seconds(next.shutdownTimeout()));
    }
    if (!running.accessLog().equals(next.accessLog())) {
      settings.add("setting ~ [access_log]");
    }
    if (!running.tls().equals(next.tls())) {
      settings.add("setting ~ [tls]");
    }
    return new ConfigChange(
        addedApps,
        changedApps,
        removedApps,
        addedListeners,
        removedListeners,
        addedRoutes,
        changedRoutes,
        removedRoutes,
        routeTableChanged,
        settings,
        refused);
  }

  /** Nothing to apply. */
  boolean isEmpty() {
    return addedApps.isEmpty()
        && changedApps.isEmpty()
        && removedApps.isEmpty()
        && addedListeners.isEmpty()
        && removedListeners.isEmpty()
        && !routeTableChanged
        && settings.isEmpty();
  }

  /**
   * Every change as a line, in the order they are applied ({@link Reloader} adds how each went).
   */
  List<String> lines() {
    List<String> lines = new ArrayList<>();
    addedApps.forEach(app -> lines.add("app + " + app.name()));
    changedApps.forEach(change -> lines.add("app ~ " + change.after().name()));
    addedListeners.forEach(listener -> lines.add("listener + " + address(listener)));
    lines.addAll(routeLines());
    lines.addAll(settings);
    removedListeners.forEach(listener -> lines.add("listener - " + address(listener)));
    removedApps.forEach(app -> lines.add("app - " + app.name()));
    return lines;
  }

  /** The route changes, one line each: added, changed, then removed, each in file order. */
  List<String> routeLines() {
    List<String> lines = new ArrayList<>();
    addedRoutes.forEach(route -> lines.add("route + " + describe(route)));
    changedRoutes.forEach(change -> lines.add("route ~ " + describe(change.after())));
    removedRoutes.forEach(route -> lines.add("route - " + describe(route)));
    return lines;
  }

  /**
   * {@code example.com/api -> api}, {@code /static -> static /srv/site/public}, {@code /blog/static
   * -> blog files staticfiles}.
   */
  static String describe(Route route) {
    String where = route.host() + route.path();
    return where
        + " -> "
        + switch (route.target()) {
          case Route.AppTarget app -> app.app();
          case Route.StaticTarget files -> "static " + files.root();
          case Route.ReleaseFilesTarget files -> files.app() + " files " + files.dir();
          case Route.RedirectTarget redirect -> redirect.status() + " " + redirect.location();
        };
  }

  /**
   * {@code :8080} for all interfaces, {@code 127.0.0.1:8080}, {@code [::1]:8080}; {@code :443
   * (https)} for a TLS listener.
   */
  static String address(Listener listener) {
    return listener.address() + (listener.secure() ? " (https)" : "");
  }

  /** {@code 127.0.0.1:9000, unix:/run/legacy.sock}. */
  static String upstreams(App app) {
    return app.backend().upstreams().stream()
        .map(UpstreamAddress::toString)
        .collect(Collectors.joining(", "));
  }

  /** Routes by what identifies them: host and path (the config allows one route per pair). */
  private static Map<String, Route> byKey(List<Route> routes) {
    Map<String, Route> byKey = new LinkedHashMap<>();
    routes.forEach(route -> byKey.put(route.host() + " " + route.path(), route));
    return byKey;
  }

  /** The same route, wherever it is in the file. */
  static boolean sameRoute(Route a, Route b) {
    return a.host().equals(b.host())
        && a.path().equals(b.path())
        && a.target().equals(b.target())
        && a.stripPrefix() == b.stripPrefix()
        && a.limits().equals(b.limits())
        && Objects.equals(a.accessLog(), b.accessLog())
        && a.access().equals(b.access())
        && a.hsts().equals(b.hsts());
  }

  private static String seconds(java.time.Duration duration) {
    return duration.toMillis() % 1000 == 0
        ? duration.toSeconds() + "s"
        : duration.toMillis() + "ms";
  }
}
