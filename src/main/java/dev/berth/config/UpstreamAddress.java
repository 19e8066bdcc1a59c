package dev.berth.config;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;

/** An address berth proxies to for an app it does not run itself ({@code upstreams = [...]}). */
public sealed interface UpstreamAddress {

  /** "unix:/run/app.sock" */
  record Unix(Path path) implements UpstreamAddress {
    public Unix {
      requireNonNull(path, "path");
    }

    @Override
    public String toString() {
      return "unix:" + path;
    }
  }

  /** "127.0.0.1:9000", "backend.internal:80", "[::1]:9000" */
  record Tcp(String host, int port) implements UpstreamAddress {
    public Tcp {
      requireNonNull(host, "host");
    }

    @Override
    public String toString() {
      return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
  }
}
