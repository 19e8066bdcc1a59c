package dev.berth.control;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * The CLI's end of the control socket. One request per connection: {@link #connect} opens the first
 * (so that "no daemon running" shows at once), each {@link #call} uses a fresh one after that.
 *
 * <pre>{@code
 * try (ControlClient client = ControlClient.connect(stateDir.resolve("control.sock"))) {
 *   JsonNode result = client.call("ping", null, event -> {});
 * }
 * }</pre>
 */
public final class ControlClient implements AutoCloseable {

  /** An event line: its kind and its other fields. */
  public record Event(String kind, ObjectNode fields) {}

  private final Path socket;
  private SocketChannel channel;
  private volatile SocketChannel inCall;
  private volatile boolean closed;

  private ControlClient(Path socket, SocketChannel channel) {
    this.socket = socket;
    this.channel = channel;
  }

  /**
   * Connects to the daemon.
   *
   * @throws NotRunningException if the socket file is missing or nothing listens on it
   * @throws ControlException with code permission_denied if this user may not open the socket
   */
  public static ControlClient connect(Path socket) throws ControlException {
    return new ControlClient(socket, open(socket));
  }

  public Path socket() {
    return socket;
  }

  /** {@link #call(String, Object, Consumer)} ignoring events. */
  public ObjectNode call(String command, Object args) throws ControlException {
    return call(command, args, event -> {});
  }

  /**
   * Sends one request and reads its answer.
   *
   * @param args a Map, record or Jackson object (the request's {@code "args"}); null for none
   * @param events gets each event line as it arrives, on this thread
   * @return the final result object
   * @throws ControlException the daemon's error (message and code), or {@code connection_lost} if
   *     the connection broke before the final line, or {@code cancelled} if {@link #close} was
   *     called
   */
  public ObjectNode call(String command, Object args, Consumer<Event> events)
      throws ControlException {
    requireNonNull(command, "command");
    requireNonNull(events, "events");
    ObjectNode request = ControlProtocol.request(command, ControlProtocol.object(args));
    SocketChannel connection;
    synchronized (this) {
      if (closed) {
        throw new ControlException(
            ControlException.CANCELLED, "berth: the control client is closed");
      }
      connection = channel != null ? channel : open(socket);
      channel = null;
      inCall = connection;
    }
    try (connection) {
      IOException writeFailed = null;
      try {
        ByteBuffer bytes = ByteBuffer.wrap(ControlProtocol.encode(request));
        while (bytes.hasRemaining()) {
          connection.write(bytes);
        }
      } catch (IOException e) {
        // Refused connections are answered, then closed, before the request is read: read on.
        writeFailed = e;
      }
      return readAnswer(connection, events, writeFailed);
    } catch (IOException e) {
      throw lost(e);
    } finally {
      inCall = null;
    }
  }

  private ObjectNode readAnswer(
      SocketChannel connection, Consumer<Event> events, IOException writeFailed)
      throws ControlException {
    BufferedReader in =
        new BufferedReader(
            new InputStreamReader(Channels.newInputStream(connection), StandardCharsets.UTF_8));
    while (true) {
      String line;
      try {
        line = in.readLine();
      } catch (IOException e) {
        throw lost(e);
      }
      if (line == null) {
        throw lost(writeFailed);
      }
      JsonNode tree;
      try {
        tree = ControlProtocol.LINE_READER.readValue(line);
      } catch (JsonProcessingException e) {
        throw protocol("a reply line is not JSON: " + e.getOriginalMessage());
      }
      if (!(tree instanceof ObjectNode object)) {
        throw protocol("a reply line is not a JSON object: " + line);
      }
      JsonNode kind = object.remove("event");
      if (kind != null) {
        events.accept(new Event(kind.asText(), object));
        continue;
      }
      JsonNode ok = object.get("ok");
      if (ok == null || !ok.isBoolean()) {
        throw protocol("a reply line is neither an event nor a final answer: " + line);
      }
      if (ok.booleanValue()) {
        JsonNode result = object.get("result");
        return result instanceof ObjectNode resultObject
            ? resultObject
            : ControlProtocol.JSON.createObjectNode();
      }
      JsonNode code = object.get("code");
      JsonNode message = object.get("error");
      throw new ControlException(
          code == null ? ControlException.FAILED : code.asText(),
          message == null ? "failed (no message)" : message.asText());
    }
  }

  private ControlException lost(IOException cause) {
    if (closed) {
      return new ControlException(ControlException.CANCELLED, "berth: call cancelled", cause);
    }
    return new ControlException(
        ControlException.CONNECTION_LOST,
        "berth: the daemon closed the control connection before answering"
            + (cause == null ? "" : " (" + cause.getMessage() + ")"),
        cause);
  }

  private static ControlException protocol(String message) {
    return new ControlException(
        ControlException.CONNECTION_LOST, "berth: control protocol error: " + message);
  }

  private static SocketChannel open(Path socket) throws ControlException {
    SocketChannel channel;
    try {
      channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    } catch (IOException e) {
      throw new ControlException(
          ControlException.FAILED, "berth: cannot open a unix socket: " + e.getMessage(), e);
    }
    try {
      channel.connect(UnixDomainSocketAddress.of(socket));
      return channel;
    } catch (IOException e) {
      closeQuietly(channel);
      throw connectFailed(socket, e);
    } catch (RuntimeException e) {
      closeQuietly(channel);
      throw e;
    }
  }

  private static ControlException connectFailed(Path socket, IOException e) {
    if (e instanceof ConnectException) {
      // The file is there but nobody listens: a berth that was killed left it.
      return new NotRunningException(socket, e);
    }
    if (Files.notExists(socket, LinkOption.NOFOLLOW_LINKS)) {
      return new NotRunningException(socket, e);
    }
    String reason = String.valueOf(e.getMessage());
    if (reason.contains("Permission denied") || !Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
      return new ControlException(
          ControlException.PERMISSION_DENIED,
          "berth: permission denied on control socket "
              + socket
              + ": only the user that runs berth (and root) may control it",
          e);
    }
    return new ControlException(
        ControlException.FAILED,
        "berth: cannot connect to control socket " + socket + ": " + reason,
        e);
  }

  /** Closes the connection; a call running in another thread ends with code {@code cancelled}. */
  @Override
  public void close() {
    SocketChannel unused;
    synchronized (this) {
      closed = true;
      unused = channel;
      channel = null;
    }
    closeQuietly(unused);
    closeQuietly(inCall);
  }

  private static void closeQuietly(SocketChannel channel) {
    if (channel == null) {
      return;
    }
    try {
      channel.close();
    } catch (IOException e) {
      // Nothing to do.
    }
  }
}
