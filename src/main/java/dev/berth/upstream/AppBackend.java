package dev.berth.upstream;

import static java.util.Objects.requireNonNull;

import java.net.SocketAddress;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The instances of one app that may take traffic. Instances join when the supervisor finds them
 * ready and leave when they stop; requests go round robin over whoever is in at that moment.
 */
public final class AppBackend {

  private final String app;
  private final CopyOnWriteArrayList<SocketAddress> ready = new CopyOnWriteArrayList<>();
  private final AtomicInteger next = new AtomicInteger();

  public AppBackend(String app) {
    this.app = requireNonNull(app, "app");
  }

  public String app() {
    return app;
  }

  public void add(SocketAddress instance) {
    requireNonNull(instance, "instance");
    ready.addIfAbsent(instance);
  }

  public void remove(SocketAddress instance) {
    ready.remove(instance);
  }

  public int readyCount() {
    return ready.size();
  }

  /** The next instance in turn, or empty when none is ready. */
  public Optional<SocketAddress> pick() {
    // Copy-on-write: this snapshot cannot change under us while we index into it.
    Object[] snapshot = ready.toArray();
    if (snapshot.length == 0) {
      return Optional.empty();
    }
    int i = Math.floorMod(next.getAndIncrement(), snapshot.length);
    return Optional.of((SocketAddress) snapshot[i]);
  }
}
