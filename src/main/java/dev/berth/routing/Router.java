package dev.berth.routing;

import static java.util.Objects.requireNonNull;

import dev.berth.config.Route;

/**
 * The live route table. Swapping it is one volatile write ({@code berth reload}): a request is
 * routed with the table it read, whole, and requests already routed keep the route they matched. A
 * keep-alive connection reads the table again at its next request, so it follows the swap without
 * being closed.
 */
public final class Router {

  private volatile RouteTable table;

  public Router(RouteTable initial) {
    this.table = requireNonNull(initial, "initial");
  }

  /** The route for a request, or null when none matches; see {@link RouteTable#match}. */
  public Route route(String hostHeader, String path) {
    return table.match(hostHeader, path);
  }

  public void replace(RouteTable next) {
    table = requireNonNull(next, "next");
  }
}
