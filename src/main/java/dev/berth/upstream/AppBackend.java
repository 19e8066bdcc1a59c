package dev.berth.upstream;

import static java.util.Objects.requireNonNull;

import dev.berth.config.App;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Collection;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The peers of one app that may take traffic, and how a request picks one. Peers join when the
 * supervisor finds an instance ready and leave when it stops; this is the one place that decides
 * which instances get traffic.
 */
public final class AppBackend {

  private final String app;
  // Volatile, not final: a reload changes them in place, so that the peers (the running
  // instances) stay where they are and no request finds the app without them.
  private volatile App.Balance balance;
  private volatile int keepalive;
  private volatile Duration keepaliveTimeout;
  private volatile App.HealthCheck healthCheck;
  private final CopyOnWriteArrayList<Peer> peers = new CopyOnWriteArrayList<>();
  private final AtomicInteger next = new AtomicInteger();

  /** @param healthCheck the active health check, or null for none */
  public AppBackend(
      String app, App.Balance balance, int keepalive, Duration keepaliveTimeout, App.HealthCheck healthCheck) {
    this.app = requireNonNull(app, "app");
    this.balance = requireNonNull(balance, "balance");
    this.keepalive = keepalive;
    this.keepaliveTimeout = requireNonNull(keepaliveTimeout, "keepaliveTimeout");
    this.healthCheck = healthCheck;
  }

  /** A backend with the settings of an app definition. */
  public static AppBackend of(App app) {
    return new AppBackend(app.name(), app.balance(), app.keepalive(), app.keepaliveTimeout(), app.healthCheck());
  }

  /**
   * Takes the balancing, keep-alive and health-check settings of a new definition of the app; the
   * peers stay. Requests picking a peer from now on use them; idle connections already pooled keep
   * the timeout they were given.
   */
  public void reconfigure(App definition) {
    requireNonNull(definition, "definition");
    if (!definition.name().equals(app)) {
      throw new IllegalArgumentException("backend of " + app + " cannot take the definition of " + definition.name());
    }
    balance = definition.balance();
    keepaliveTimeout = definition.keepaliveTimeout();
    keepalive = definition.keepalive();
    healthCheck = definition.healthCheck();
  }

  /** The active health check, or null. */
  public App.HealthCheck healthCheck() {
    return healthCheck;
  }

  public String app() {
    return app;
  }

  /** Idle upstream connections kept per peer (and event loop). */
  public int keepalive() {
    return keepalive;
  }

  public Duration keepaliveTimeout() {
    return keepaliveTimeout;
  }

  /** Puts the address in rotation. @return its peer (the one already there, if it was) */
  public Peer add(SocketAddress address) {
    requireNonNull(address, "address");
    synchronized (peers) {
      for (Peer peer : peers) {
        if (peer.address().equals(address)) {
          return peer;
        }
      }
      Peer peer = new Peer(address);
      peers.add(peer);
      return peer;
    }
  }

  public void remove(SocketAddress address) {
    peers.removeIf(p -> p.address().equals(address));
  }

  /** Peers as they are now (for health checks). */
  public java.util.List<Peer> peers() {
    return java.util.List.copyOf(peers);
  }

  /**
   * The peer for the next request, skipping those already tried for it. Peers in backoff or
   * failing their health check are passed over, unless no other is left: then they are tried
   * anyway, as a stale mark must not turn a working app into a 502.
   */
  public Optional<Peer> pick(Collection<Peer> tried) {
    Object[] snapshot = peers.toArray();
    if (snapshot.length == 0) {
      return Optional.empty();
    }
    long now = System.nanoTime();
    Optional<Peer> available = choose(snapshot, tried, now, true);
    return available.isPresent() ? available : choose(snapshot, tried, now, false);
  }

  private Optional<Peer> choose(Object[] snapshot, Collection<Peer> tried, long now, boolean onlyAvailable) {
    App.Balance balance = this.balance;
    int start = Math.floorMod(next.getAndIncrement(), snapshot.length);
    Peer best = null;
    for (int i = 0; i < snapshot.length; i++) {
      Peer peer = (Peer) snapshot[(start + i) % snapshot.length];
      if (tried.contains(peer) || (onlyAvailable && !peer.available(now))) {
        continue;
      }
      if (balance == App.Balance.ROUND_ROBIN) {
        return Optional.of(peer);
      }
      // Least connections; ties go to the first in round-robin order, so equal peers share load.
      if (best == null || peer.active() < best.active()) {
        best = peer;
      }
    }
    return Optional.ofNullable(best);
  }
}
