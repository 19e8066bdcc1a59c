package dev.berth.supervisor;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;

/** Where an app instance listens; berth allocates it, the app is told through its environment. */
public sealed interface Endpoint {

  /** A unix socket file in berth's run directory. */
  record Unix(Path path) implements Endpoint {
    public Unix {
      requireNonNull(path, "path");
    }

    @Override
    public String toString() {
      return "unix:" + path;
    }
  }

  /** A TCP port on 127.0.0.1. */
  record Tcp(int port) implements Endpoint {
    @Override
    public String toString() {
      return "127.0.0.1:" + port;
    }
  }
}
