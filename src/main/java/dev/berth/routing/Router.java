package dev.berth.routing;

import static java.util.Objects.requireNonNull;

import dev.berth.config.Route;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/** The live route table. Swapping it is atomic; requests already routed are not affected. */
public final class Router {

  private final AtomicReference<RouteTable> table;

  public Router(RouteTable initial) {
    this.table = new AtomicReference<>(requireNonNull(initial, "initial"));
  }

  public Optional<Route> route(String hostHeader, String path) {
    return table.get().match(hostHeader, path);
  }

  public void replace(RouteTable next) {
    table.set(requireNonNull(next, "next"));
  }
}
