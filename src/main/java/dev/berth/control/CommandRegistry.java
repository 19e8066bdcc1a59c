package dev.berth.control;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Commands by name: the handler the daemon gives its {@link ControlServer}. Has {@code ping} built
 * in; the daemon registers the rest ({@code status}, {@code logs}, {@code restart}...). Commands
 * may be registered after the server started.
 */
public final class CommandRegistry implements ControlHandler {

  private final Map<String, ControlHandler> commands = new ConcurrentHashMap<>();

  /** A registry with {@code ping}: pid, uptime and version of the daemon. */
  public CommandRegistry() {
    register("ping", CommandRegistry::ping);
  }

  /**
   * Adds a command.
   *
   * @throws IllegalArgumentException if the name is taken
   */
  public CommandRegistry register(String name, ControlHandler handler) {
    requireNonNull(name, "name");
    requireNonNull(handler, "handler");
    if (commands.putIfAbsent(name, handler) != null) {
      throw new IllegalArgumentException("control command " + name + " is already registered");
    }
    return this;
  }

  /** The registered command names, sorted. */
  public Set<String> commands() {
    return new TreeSet<>(commands.keySet());
  }

  @Override
  public void handle(Request request, Replies replies) throws Exception {
    ControlHandler handler = commands.get(request.command());
    if (handler == null) {
      throw new ControlException(
          ControlException.UNKNOWN_COMMAND,
          "unknown command \""
              + request.command()
              + "\" (this berth knows: "
              + String.join(", ", commands())
              + ")");
    }
    handler.handle(request, replies);
  }

  private static void ping(Request request, Replies replies) {
    ProcessHandle self = ProcessHandle.current();
    Instant started = self.info().startInstant().orElse(STARTED);
    replies.result(
        new Ping(
            self.pid(),
            Math.max(0, Duration.between(started, Instant.now()).toSeconds()),
            started.toString(),
            version(),
            ControlProtocol.VERSION));
  }

  /** Ping's result. Field names are the protocol's. */
  record Ping(long pid, long uptime_seconds, String started, String version, int protocol) {}

  /** When this class was loaded: the start time if the OS does not tell the process's. */
  private static final Instant STARTED = Instant.now();

  static String version() {
    String version = CommandRegistry.class.getPackage().getImplementationVersion();
    return version == null ? "dev" : version;
  }
}
