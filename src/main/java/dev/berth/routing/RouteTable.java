package dev.berth.routing;

import static java.util.Objects.requireNonNull;

import dev.berth.config.Route;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where routing is decided. Immutable: a new table replaces the old one atomically (see {@link
 * Router}), so a request sees either the old routes or the new ones, never a mix.
 *
 * <p>As in nginx, the host is decided first (an exact name, then the longest matching wildcard,
 * then routes for any host), and then the longest path prefix among that host's routes. A request
 * whose host group has no matching prefix gets no route: it does not fall through to another host.
 */
public final class RouteTable {

  private static final Comparator<Route> LONGEST_PATH_FIRST =
      Comparator.comparingInt((Route r) -> r.path().length()).reversed();

  private final Map<String, List<Route>> exact;

  /** Wildcard groups keyed by suffix including the dot (".example.com"), longest suffix first. */
  private final LinkedHashMap<String, List<Route>> wildcards;

  private final List<Route> anyHost;

  private RouteTable(
      Map<String, List<Route>> exact,
      LinkedHashMap<String, List<Route>> wildcards,
      List<Route> anyHost) {
    this.exact = exact;
    this.wildcards = wildcards;
    this.anyHost = anyHost;
  }

  public static RouteTable of(List<Route> routes) {
    requireNonNull(routes, "routes");
    Map<String, List<Route>> exact = new HashMap<>();
    Map<String, List<Route>> wild = new HashMap<>();
    List<Route> any = new ArrayList<>();
    for (Route route : routes) {
      String host = route.host();
      if (host.isEmpty()) {
        any.add(route);
      } else if (host.startsWith("*.")) {
        wild.computeIfAbsent(host.substring(1), k -> new ArrayList<>()).add(route);
      } else {
        exact.computeIfAbsent(host, k -> new ArrayList<>()).add(route);
      }
    }
    Map<String, List<Route>> exactSorted = new HashMap<>();
    exact.forEach((host, list) -> exactSorted.put(host, sorted(list)));
    LinkedHashMap<String, List<Route>> wildSorted = new LinkedHashMap<>();
    wild.entrySet().stream()
        .sorted(
            Comparator.comparingInt((Map.Entry<String, List<Route>> e) -> e.getKey().length())
                .reversed())
        .forEach(e -> wildSorted.put(e.getKey(), sorted(e.getValue())));
    return new RouteTable(exactSorted, wildSorted, sorted(any));
  }

  private static List<Route> sorted(List<Route> routes) {
    List<Route> copy = new ArrayList<>(routes);
    copy.sort(LONGEST_PATH_FIRST);
    return List.copyOf(copy);
  }

  /**
   * The route for a request.
   *
   * @param hostHeader the Host header as sent (may carry a port, upper case, a trailing dot), or
   *     null
   * @param path the request path, without query
   * @return the route, or null when none matches (per request: no Optional)
   */
  public Route match(String hostHeader, String path) {
    requireNonNull(path, "path");
    for (Route route : hostGroup(hostHeader)) {
      if (prefixMatches(route.path(), path)) {
        return route;
      }
    }
    return null;
  }

  private List<Route> hostGroup(String hostHeader) {
    if (exact.isEmpty() && wildcards.isEmpty()) {
      // No route names a host: the Host field is not even normalized (a copy, when it has a port).
      return anyHost;
    }
    String host = normalizeHost(hostHeader);
    if (!host.isEmpty()) {
      List<Route> byName = exact.get(host);
      if (byName != null) {
        return byName;
      }
      for (Map.Entry<String, List<Route>> wildcard : wildcards.entrySet()) {
        // "*.example.com" matches any depth of subdomain, never "example.com" itself (nginx).
        if (host.endsWith(wildcard.getKey()) && host.length() > wildcard.getKey().length()) {
          return wildcard.getValue();
        }
      }
    }
    return anyHost;
  }

  /** True when {@code prefix} matches {@code path} on a segment boundary. */
  public static boolean prefixMatches(String prefix, String path) {
    if (prefix.equals("/")) {
      return true;
    }
    return path.startsWith(prefix)
        && (path.length() == prefix.length() || path.charAt(prefix.length()) == '/');
  }

  /** "Example.COM:8080" -> "example.com"; "[::1]:80" -> "[::1]"; null -> "". */
  static String normalizeHost(String hostHeader) {
    if (hostHeader == null) {
      return "";
    }
    String host = hostHeader.trim().toLowerCase(Locale.ROOT);
    if (host.startsWith("[")) {
      int end = host.indexOf(']');
      return end < 0 ? host : host.substring(0, end + 1);
    }
    int colon = host.indexOf(':');
    if (colon >= 0) {
      host = host.substring(0, colon);
    }
    if (host.endsWith(".")) {
      host = host.substring(0, host.length() - 1);
    }
    return host;
  }
}
