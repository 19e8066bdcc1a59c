package dev.berth.config;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A validated berth configuration: everything the runtime needs, nothing it must check again.
 *
 * @param file the file it was loaded from (absolute)
 * @param stateDir where berth keeps its run directory (sockets) and, later, logs and releases
 * @param shutdownTimeout how long in-flight requests may take to finish on shutdown
 * @param edge connection-level limits, trusted proxies, and per-route defaults
 * @param accessLog the global access log
 * @param listeners edge listeners, at least one
 * @param apps apps by name, in file order
 * @param routes routes in file order
 * @param tls the [tls] table: ACME account, HSTS, unknown names
 */
public record Config(
    Path file,
    Path stateDir,
    Duration shutdownTimeout,
    EdgeSettings edge,
    AccessLogSpec accessLog,
    List<Listener> listeners,
    Map<String, App> apps,
    List<Route> routes,
    TlsSettings tls) {

  public Config {
    requireNonNull(file, "file");
    requireNonNull(stateDir, "stateDir");
    requireNonNull(shutdownTimeout, "shutdownTimeout");
    requireNonNull(edge, "edge");
    requireNonNull(accessLog, "accessLog");
    listeners = List.copyOf(listeners);
    apps = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(apps));
    routes = List.copyOf(routes);
    requireNonNull(tls, "tls");
  }

  /** A config without a [tls] table. */
  public Config(
      Path file,
      Path stateDir,
      Duration shutdownTimeout,
      EdgeSettings edge,
      AccessLogSpec accessLog,
      List<Listener> listeners,
      Map<String, App> apps,
      List<Route> routes) {
    this(
        file,
        stateDir,
        shutdownTimeout,
        edge,
        accessLog,
        listeners,
        apps,
        routes,
        TlsSettings.standard());
  }

  /** The run directory: one unix socket per app instance lives here. */
  public Path runDir() {
    return stateDir.resolve("run");
  }
}
