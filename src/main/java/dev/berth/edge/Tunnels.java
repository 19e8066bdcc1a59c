package dev.berth.edge;

import dev.berth.config.Route;
import dev.berth.routing.Router;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The edge's open tunnels (upgraded connections, WebSockets mostly): how many there are, against
 * max_tunnels, and where each leads (its app, and the host and path that routed it), so that a
 * reload can end those whose route it removed. Each tunnel's peer keeps its own tunnels too ({@code
 * upstream.Peer}): a stopping instance ends them.
 */
final class Tunnels {

  /** Where a tunnel leads: its app, and the Host field and path of the request that opened it. */
  record Place(String app, String host, String path) {}

  private final Map<Tunnel, Place> open = new ConcurrentHashMap<>();

  /** Open tunnels, and handshakes that passed the limit and wait for their app's 101. */
  private final AtomicInteger count = new AtomicInteger();

  /** Takes a place under {@code max}; false when none is left (the request then gets a 503). */
  boolean reserve(int max) {
    if (count.incrementAndGet() > max) {
      count.decrementAndGet();
      return false;
    }
    return true;
  }

  /** Gives back a place that {@link #reserve} took and no tunnel used. */
  void unreserve() {
    count.decrementAndGet();
  }

  /** A reserved place is now {@code tunnel}'s. */
  void opened(Tunnel tunnel, Place place) {
    open.put(tunnel, place);
  }

  void closed(Tunnel tunnel) {
    if (open.remove(tunnel) != null) {
      count.decrementAndGet();
    }
  }

  int count() {
    return open.size();
  }

  /** Open tunnels per app. */
  Map<String, Integer> byApp() {
    Map<String, Integer> counts = new TreeMap<>();
    open.values().forEach(place -> counts.merge(place.app(), 1, Integer::sum));
    return counts;
  }

  /**
   * The routes changed (a reload): a tunnel whose request would no longer reach its app (its route
   * was removed, or sends elsewhere now) goes away; the others stay open.
   */
  void rerouted(Router router) {
    open.forEach(
        (tunnel, place) -> {
          Route now = router.route(place.host(), place.path());
          boolean kept =
              now != null
                  && now.target() instanceof Route.AppTarget app
                  && app.app().equals(place.app());
          if (!kept) {
            tunnel.goAway();
          }
        });
  }
}
