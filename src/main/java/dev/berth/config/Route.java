package dev.berth.config;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;

/**
 * A route: which requests go where.
 *
 * @param host an exact host ("example.com"), a wildcard ("*.example.com"), or "" for any host;
 *     lower case, without port
 * @param path a path prefix starting with "/", without a trailing "/" unless it is "/"; matches
 *     on segment boundaries ("/blog" matches "/blog" and "/blog/x", not "/blogger")
 * @param target where matching requests go
 * @param stripPrefix for app targets: remove the prefix from the forwarded path instead of
 *     passing it through with SCRIPT_NAME
 * @param line the line of the route in the config file, for messages
 */
public record Route(String host, String path, Target target, boolean stripPrefix, int line) {

  public Route {
    requireNonNull(host, "host");
    requireNonNull(path, "path");
    requireNonNull(target, "target");
  }

  /** Where a route sends requests. */
  public sealed interface Target permits AppTarget, StaticTarget {}

  /** Proxy to the instances of an app. */
  public record AppTarget(String app) implements Target {
    public AppTarget {
      requireNonNull(app, "app");
    }
  }

  /** Serve files below a directory. */
  public record StaticTarget(Path root) implements Target {
    public StaticTarget {
      requireNonNull(root, "root");
    }
  }
}
