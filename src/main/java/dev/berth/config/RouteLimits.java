package dev.berth.config;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * Request-level limits, set per route (with [edge] defaults).
 *
 * @param maxBodySize largest request body in bytes (413 past it, from Content-Length or while
 *     streaming)
 * @param upstreamConnectTimeout time to connect to an app instance (502 past it)
 * @param upstreamResponseTimeout time an app may stay silent, before or during its response (504
 *     past it when nothing was sent yet)
 */
public record RouteLimits(
    long maxBodySize, Duration upstreamConnectTimeout, Duration upstreamResponseTimeout) {

  public RouteLimits {
    requireNonNull(upstreamConnectTimeout, "upstreamConnectTimeout");
    requireNonNull(upstreamResponseTimeout, "upstreamResponseTimeout");
  }

  public static RouteLimits standard() {
    return new RouteLimits(10L * 1024 * 1024, Duration.ofSeconds(5), Duration.ofSeconds(60));
  }
}
