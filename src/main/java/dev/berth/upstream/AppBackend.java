package dev.berth.upstream;

import static java.util.Objects.requireNonNull;

import dev.berth.config.App;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The peers of one app that may take traffic, and how a request picks one. Peers join when the
 * supervisor finds an instance ready and leave when it stops; this is the one place that decides
 * which instances get traffic. The set is an immutable array replaced whole at each change, so a
 * request sees either the set before a change or the one after it, never a mix: a deploy's switch
 * ({@link #replaceAll}) exchanges every peer in one step.
 */
public final class AppBackend {

  private final String app;
  // Volatile, not final: a reload changes them in place, so that the peers (the running
  // instances) stay where they are and no request finds the app without them.
  private volatile App.Balance balance;
  private volatile int keepalive;
  private volatile Duration keepaliveTimeout;
  private volatile App.HealthCheck healthCheck;
  private volatile App.Mount mount = App.Mount.ROOT;
  private volatile int retries;

  /** Replaced whole, under the lock of this object; read without locking. */
  private volatile Peer[] peers = new Peer[0];

  /**
   * The release whose processes serve the app's traffic, real path, or null before the first
   * generation (or for an app berth does not run). Written under this object's lock, before the
   * peers it goes with: whoever reads the new peers reads this release too.
   */
  private volatile Path release;

  private final AtomicInteger next = new AtomicInteger();

  /**
   * @param healthCheck the active health check, or null for none
   * @param retries how many times a request that was sent and lost its instance may go on to
   *     another (a refused connection does not count)
   */
  public AppBackend(
      String app,
      App.Balance balance,
      int keepalive,
      Duration keepaliveTimeout,
      App.HealthCheck healthCheck,
      int retries) {
    this.app = requireNonNull(app, "app");
    this.balance = requireNonNull(balance, "balance");
    this.keepalive = keepalive;
    this.keepaliveTimeout = requireNonNull(keepaliveTimeout, "keepaliveTimeout");
    this.healthCheck = healthCheck;
    this.retries = checkedRetries(retries);
  }

  /** A backend with the settings of an app definition. */
  public static AppBackend of(App app) {
    AppBackend backend =
        new AppBackend(
            app.name(),
            app.backend().balance(),
            app.backend().keepalive(),
            app.backend().keepaliveTimeout(),
            app.backend().healthCheck(),
            app.backend().retries());
    backend.mount = app.backend().mount();
    return backend;
  }

  private static int checkedRetries(int retries) {
    if (retries < 0) {
      throw new IllegalArgumentException("retries: " + retries + " (expected: >= 0)");
    }
    return retries;
  }

  /**
   * Takes the balancing, keep-alive, health-check and retry settings of a new definition of the
   * app; the peers stay. Requests picking a peer from now on use them; idle connections already
   * pooled keep the timeout they were given.
   */
  public void reconfigure(App definition) {
    requireNonNull(definition, "definition");
    if (!definition.name().equals(app)) {
      throw new IllegalArgumentException(
          "backend of " + app + " cannot take the definition of " + definition.name());
    }
    balance = definition.backend().balance();
    keepaliveTimeout = definition.backend().keepaliveTimeout();
    keepalive = definition.backend().keepalive();
    healthCheck = definition.backend().healthCheck();
    mount = definition.backend().mount();
    retries = checkedRetries(definition.backend().retries());
  }

  /**
   * How many times a request that was sent to an instance and lost it may go on to another (see
   * edge.RetryRule).
   */
  public int retries() {
    return retries;
  }

  /** The active health check, or null. */
  public App.HealthCheck healthCheck() {
    return healthCheck;
  }

  /** Where the routes put the app: what its health checks look like (see ProbeRequest). */
  public App.Mount mount() {
    return mount;
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
  public synchronized Peer add(SocketAddress address) {
    requireNonNull(address, "address");
    for (Peer peer : peers) {
      if (peer.address().equals(address)) {
        return peer;
      }
    }
    Peer peer = new Peer(address);
    Peer[] next = java.util.Arrays.copyOf(peers, peers.length + 1);
    next[peers.length] = peer;
    peers = next;
    return peer;
  }

  /**
   * A peer for the address that is not in rotation yet: an instance of a new generation, ready and
   * waiting for the switch ({@link #replaceAll}).
   */
  public Peer standby(SocketAddress address) {
    return new Peer(requireNonNull(address, "address"));
  }

  public synchronized void remove(SocketAddress address) {
    retire(p -> p.address().equals(address));
  }

  /** Takes the peer out of rotation, if it is in. */
  public synchronized void remove(Peer peer) {
    retire(p -> p == peer);
  }

  /**
   * The app's traffic is served from {@code release} (its first generation starts): the app's
   * static directories are served from there.
   */
  public synchronized void serveFrom(Path release) {
    this.release = realPath(release);
  }

  /**
   * The release whose processes serve the app (a real path), or null when none does yet: where its
   * static directories are.
   */
  public Path release() {
    return release;
  }

  /**
   * The switch of a deploy: from now on exactly {@code next} take traffic, in one step, and the
   * app's static directories come from {@code release}, theirs. A request picks from the old set or
   * from the new one, never from a mix or from an empty set (unless {@code next} is empty). Peers
   * that leave are retired: their connections are not reused.
   */
  public synchronized void replaceAll(Collection<Peer> next, Path release) {
    // Files first: a page from a new peer never names a file that the old release would answer.
    this.release = realPath(release);
    Peer[] replacement = next.toArray(Peer[]::new);
    List<Peer> joining = List.of(replacement);
    for (Peer peer : peers) {
      if (!joining.contains(peer)) {
        peer.retire();
      }
    }
    peers = replacement;
  }

  private void retire(java.util.function.Predicate<Peer> which) {
    Peer[] current = peers;
    List<Peer> kept = new java.util.ArrayList<>(current.length);
    for (Peer peer : current) {
      if (which.test(peer)) {
        peer.retire();
      } else {
        kept.add(peer);
      }
    }
    if (kept.size() != current.length) {
      peers = kept.toArray(Peer[]::new);
    }
  }

  /**
   * The release's real path, so that a static root under it is real too (files are checked to lie
   * inside the root by their real paths); as given when it cannot be resolved.
   */
  private static Path realPath(Path release) {
    requireNonNull(release, "release");
    try {
      return release.toRealPath();
    } catch (IOException e) {
      return release.toAbsolutePath().normalize();
    }
  }

  /** Peers as they are now (for health checks). */
  public List<Peer> peers() {
    return List.of(peers);
  }

  /**
   * The peer for the next request, skipping those already tried for it. Peers in backoff or failing
   * their health check are passed over, unless no other is left: then they are tried anyway, as a
   * stale mark must not turn a working app into a 502.
   *
   * @param now System.nanoTime(), which the caller has read anyway
   * @return the peer, or null when none is left (per request: no Optional)
   */
  public Peer pick(Collection<Peer> tried, long now) {
    Peer[] snapshot = peers;
    if (snapshot.length == 0) {
      return null;
    }
    Peer available = choose(snapshot, tried, now, true);
    return available != null ? available : choose(snapshot, tried, now, false);
  }

  private Peer choose(Peer[] snapshot, Collection<Peer> tried, long now, boolean onlyAvailable) {
    App.Balance balance = this.balance;
    int start = Math.floorMod(next.getAndIncrement(), snapshot.length);
    Peer best = null;
    for (int i = 0; i < snapshot.length; i++) {
      Peer peer = snapshot[(start + i) % snapshot.length];
      if (tried.contains(peer) || (onlyAvailable && !peer.available(now))) {
        continue;
      }
      if (balance == App.Balance.ROUND_ROBIN) {
        return peer;
      }
      // Least connections; ties go to the first in round-robin order, so equal peers share load.
      if (best == null || peer.active() < best.active()) {
        best = peer;
      }
    }
    return best;
  }
}
