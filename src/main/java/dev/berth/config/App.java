package dev.berth.config;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * An app: one command run as N instances, each on its own socket that berth allocates.
 *
 * @param name the app's name (the key under [apps])
 * @param dir working directory of its processes (absolute)
 * @param command shell command line, run as {@code sh -c "exec <command>"}
 * @param instances how many instances to run, >= 1
 * @param env extra environment for its processes
 * @param socket how instances listen: a unix socket (default) or a TCP port on 127.0.0.1
 * @param startTimeout how long an instance may take to accept connections
 * @param stopTimeout how long after SIGTERM before SIGKILL
 */
public record App(
    String name,
    Path dir,
    String command,
    int instances,
    Map<String, String> env,
    SocketKind socket,
    Duration startTimeout,
    Duration stopTimeout) {

  public App {
    requireNonNull(name, "name");
    requireNonNull(dir, "dir");
    requireNonNull(command, "command");
    env = Map.copyOf(env);
    requireNonNull(socket, "socket");
    requireNonNull(startTimeout, "startTimeout");
    requireNonNull(stopTimeout, "stopTimeout");
  }

  /** How an app instance listens for the edge. */
  public enum SocketKind {
    UNIX,
    TCP
  }
}
