package dev.berth.control;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The daemon's end of the control socket: a unix socket, mode 0600, that only berth's own user and
 * root may use (checked per connection with {@code SO_PEERCRED}, on top of the file mode).
 *
 * <p>One virtual thread accepts; each connection gets its own virtual thread, which checks the
 * peer, reads the one request line, and runs the handler. Once the request is read, a second
 * virtual thread per connection reads on, to notice when the client goes away.
 */
public final class ControlServer implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(ControlServer.class.getName());

  /**
   * How long close() waits for handlers to end by themselves, then again after interrupting them.
   */
  private static final Duration HANDLER_GRACE = Duration.ofSeconds(1);

  /** How long close() waits to write the shutting_down line past a write that is blocked. */
  private static final Duration FINAL_WRITE_GRACE = Duration.ofMillis(500);

  private final Path socket;
  private final ServerSocketChannel server;
  private final Object fileKey;
  private final PeerCheck peers;
  private final ControlHandler handler;
  private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
  private final AtomicLong ids = new AtomicLong();
  private final Thread acceptor;
  private volatile boolean closed;

  private ControlServer(
      Path socket,
      ServerSocketChannel server,
      Object fileKey,
      PeerCheck peers,
      ControlHandler handler) {
    this.socket = socket;
    this.server = server;
    this.fileKey = fileKey;
    this.peers = peers;
    this.handler = handler;
    this.acceptor = Thread.ofVirtual().name("berth-control-accept").unstarted(this::acceptLoop);
  }

  /**
   * Binds the control socket and starts serving.
   *
   * <p>An existing socket file is replaced only if nothing answers on it (left by a berth that was
   * killed). The containing directory should be private (berth's state_dir is 0700): the file is
   * bound with the process's umask and set to 0600 right after.
   *
   * @throws IOException with "berth is already running (control socket PATH)" if a live daemon
   *     answers on it; or if it cannot be bound
   */
  public static ControlServer start(Path socketPath, ControlHandler handler) throws IOException {
    requireNonNull(handler, "handler");
    Path socket = socketPath.toAbsolutePath();
    removeStaleSocket(socket);
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      server.bind(UnixDomainSocketAddress.of(socket));
      Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
      BasicFileAttributes attributes =
          Files.readAttributes(socket, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      PeerCheck peers = new PeerCheck(Files.getOwner(socket, LinkOption.NOFOLLOW_LINKS));
      ControlServer control =
          new ControlServer(socket, server, attributes.fileKey(), peers, handler);
      control.acceptor.start();
      return control;
    } catch (IOException | RuntimeException e) {
      server.close();
      Files.deleteIfExists(socket);
      throw new IOException("cannot listen on control socket " + socket + ": " + e.getMessage(), e);
    }
  }

  /** The socket's path (absolute). */
  public Path socket() {
    return socket;
  }

  private static void removeStaleSocket(Path socket) throws IOException {
    BasicFileAttributes attributes;
    try {
      attributes =
          Files.readAttributes(socket, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (java.nio.file.NoSuchFileException e) {
      return;
    }
    if (!attributes.isOther()) {
      throw new IOException(
          socket
              + " exists and is not a socket; remove it if berth's control socket belongs there");
    }
    SocketChannel probe;
    try {
      probe = SocketChannel.open(UnixDomainSocketAddress.of(socket));
    } catch (ConnectException e) {
      // Nothing listens: a berth that did not stop cleanly left it.
      LOG.log(System.Logger.Level.INFO, "control: removing stale socket " + socket);
      Files.deleteIfExists(socket);
      return;
    }
    probe.close();
    throw new IOException("berth is already running (control socket " + socket + ")");
  }

  private void acceptLoop() {
    while (!closed) {
      SocketChannel channel;
      try {
        channel = server.accept();
      } catch (ClosedChannelException e) {
        return;
      } catch (IOException e) {
        if (closed) {
          return;
        }
        // Out of file descriptors, say: do not spin.
        LOG.log(System.Logger.Level.WARNING, "control: accept failed: " + e.getMessage());
        try {
          Thread.sleep(100);
        } catch (InterruptedException interrupted) {
          return;
        }
        continue;
      }
      Connection connection = new Connection(channel, ids.incrementAndGet());
      connections.add(connection);
      if (closed) {
        connection.shutdown();
      }
      connection.thread.start();
    }
  }

  /**
   * Stops accepting; requests still running get a final {@code shutting_down} error and their
   * connections close; waits (briefly) for their handlers; deletes the socket file if it is still
   * the one this server created.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      LOG.log(System.Logger.Level.DEBUG, "control: closing the server socket: " + e.getMessage());
    }
    join(acceptor, Duration.ofSeconds(1));
    List<Connection> open = new ArrayList<>(connections);
    open.forEach(Connection::shutdown);
    // Handlers were told (awaitClosed returns, event throws): give them time to end by themselves,
    // then interrupt those still blocked elsewhere.
    long deadline = System.nanoTime() + HANDLER_GRACE.toNanos();
    for (Connection connection : open) {
      join(connection.thread, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
    }
    deadline = System.nanoTime() + HANDLER_GRACE.toNanos();
    for (Connection connection : open) {
      connection.thread.interrupt();
      Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
      if (!join(connection.thread, left)) {
        LOG.log(
            System.Logger.Level.WARNING,
            "control: the handler of \""
                + connection.command
                + "\" did not end after the control socket closed");
      }
      join(connection.watcher, Duration.ofMillis(100));
    }
    try {
      BasicFileAttributes attributes =
          Files.readAttributes(socket, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (Objects.equals(attributes.fileKey(), fileKey)) {
        Files.delete(socket);
      }
    } catch (java.nio.file.NoSuchFileException e) {
      // Already gone.
    } catch (IOException e) {
      LOG.log(
          System.Logger.Level.WARNING, "control: cannot remove " + socket + ": " + e.getMessage());
    }
  }

  private static boolean join(Thread thread, Duration timeout) {
    if (thread == null || thread == Thread.currentThread()) {
      return true;
    }
    try {
      return thread.join(timeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return !thread.isAlive();
    }
  }

  /** One client: at most one request. Implements the replies of that request. */
  private final class Connection implements Replies {

    private final SocketChannel channel;
    private final Thread thread;
    private volatile Thread watcher;
    private volatile String command = "?";

    /** Guards writes to the channel and the state below. */
    private final ReentrantLock lock = new ReentrantLock();

    private volatile boolean finished;
    private volatile boolean gone;
    private volatile boolean shuttingDown;
    private final CountDownLatch over = new CountDownLatch(1);
    private final List<Runnable> onClose = new ArrayList<>();

    Connection(SocketChannel channel, long id) {
      this.channel = channel;
      this.thread = Thread.ofVirtual().name("berth-control-" + id).unstarted(this::serve);
    }

    private void serve() {
      try {
        if (closed) {
          return;
        }
        PeerCheck.Peer peer;
        try {
          peer = PeerCheck.peerOf(channel);
        } catch (IOException | UnsupportedOperationException e) {
          LOG.log(
              System.Logger.Level.WARNING,
              "control: refused a connection: cannot read its credentials: " + e);
          error(
              ControlException.PERMISSION_DENIED,
              "permission denied: cannot check the peer's credentials");
          return;
        }
        if (!peers.allowed(peer)) {
          LOG.log(
              System.Logger.Level.WARNING,
              "control: refused a connection from "
                  + peer.describe()
                  + ": not the owner of this berth");
          error(
              ControlException.PERMISSION_DENIED,
              "permission denied: " + peer.uidOrName() + " is not the owner of this berth");
          return;
        }
        Request request;
        try {
          request = readRequest(peer);
        } catch (ControlException e) {
          LOG.log(System.Logger.Level.DEBUG, "control: bad request: " + e.getMessage());
          error(e.code(), e.getMessage());
          return;
        }
        if (request == null) {
          return; // Connected and left without a word: a probe, such as another berth's start.
        }
        command = request.command();
        watcher = Thread.ofVirtual().name(thread.getName() + "-watch").start(this::watchForHangUp);
        run(request);
      } catch (IOException e) {
        LOG.log(System.Logger.Level.DEBUG, "control: connection: " + e.getMessage());
      } finally {
        end();
        connections.remove(this);
      }
    }

    private void run(Request request) {
      try {
        handler.handle(request, this);
        result(null);
      } catch (ControlException e) {
        error(e.code(), e.getMessage());
      } catch (ClientGoneException e) {
        // The request is over; a final line was sent if anyone was there to read it.
      } catch (InterruptedException e) {
        error(ControlException.SHUTTING_DOWN, "berth is shutting down");
      } catch (Exception e) {
        LOG.log(
            System.Logger.Level.WARNING,
            "control: command \"" + request.command() + "\" failed",
            e);
        error(ControlException.FAILED, request.command() + " failed: " + e);
      }
    }

    /**
     * @return the request, or null if the client closed without sending anything
     */
    private Request readRequest(PeerCheck.Peer peer) throws IOException, ControlException {
      // One byte more than allowed, for the newline.
      ByteBuffer buffer = ByteBuffer.allocate(ControlProtocol.MAX_REQUEST_BYTES + 1);
      int newline = -1;
      int scanned = 0;
      while (newline < 0) {
        if (!buffer.hasRemaining()) {
          throw new ControlException(
              ControlException.BAD_REQUEST,
              "request line longer than " + ControlProtocol.MAX_REQUEST_BYTES + " bytes");
        }
        int read = channel.read(buffer);
        if (read < 0) {
          if (buffer.position() == 0) {
            return null;
          }
          throw new ControlException(
              ControlException.BAD_REQUEST, "request line not ended by a newline");
        }
        for (; scanned < buffer.position(); scanned++) {
          if (buffer.get(scanned) == '\n') {
            newline = scanned;
            break;
          }
        }
      }
      // Anything after the newline is ignored: one request per connection.
      return parse(buffer.array(), newline, peer);
    }

    private static Request parse(byte[] bytes, int length, PeerCheck.Peer peer)
        throws ControlException {
      if (ControlProtocol.text(bytes, length).isBlank()) {
        throw new ControlException(ControlException.BAD_REQUEST, "empty request line");
      }
      JsonNode tree;
      try {
        tree = ControlProtocol.LINE_READER.readValue(bytes, 0, length);
      } catch (JsonProcessingException e) {
        throw new ControlException(
            ControlException.BAD_REQUEST, "request is not valid JSON: " + e.getOriginalMessage());
      } catch (IOException e) {
        throw new ControlException(
            ControlException.BAD_REQUEST, "request is not valid JSON: " + e.getMessage());
      }
      if (tree == null || tree.isMissingNode()) {
        throw new ControlException(ControlException.BAD_REQUEST, "empty request line");
      }
      if (!(tree instanceof ObjectNode object)) {
        throw new ControlException(
            ControlException.BAD_REQUEST,
            "request must be a JSON object, got " + tree.getNodeType());
      }
      JsonNode version = object.get("v");
      if (version == null) {
        throw new ControlException(
            ControlException.BAD_REQUEST,
            "request has no \"v\" (the protocol version; this berth speaks "
                + ControlProtocol.VERSION
                + ")");
      }
      if (!version.isInt() || version.intValue() != ControlProtocol.VERSION) {
        throw new ControlException(
            ControlException.UNSUPPORTED_VERSION,
            "protocol version "
                + version
                + " is not supported (this berth speaks "
                + ControlProtocol.VERSION
                + ")");
      }
      JsonNode command = object.get("command");
      if (command == null || !command.isTextual() || command.textValue().isEmpty()) {
        throw new ControlException(
            ControlException.BAD_REQUEST, "request has no \"command\" string");
      }
      JsonNode args = object.get("args");
      if (args == null || args.isNull()) {
        args = ControlProtocol.JSON.createObjectNode();
      } else if (!args.isObject()) {
        throw new ControlException(
            ControlException.BAD_REQUEST,
            "\"args\" must be a JSON object, got " + args.getNodeType());
      }
      return new Request(command.textValue(), (ObjectNode) args, peer.user().getName());
    }

    /** Reads past the request until end of stream: the client hung up (or the channel closed). */
    private void watchForHangUp() {
      ByteBuffer sink = ByteBuffer.allocate(512);
      try {
        while (channel.read(sink) >= 0) {
          sink.clear();
        }
      } catch (IOException e) {
        // Closed by us, or reset by the client: either way, over.
      }
      clientGone();
    }

    // ---- Replies ----

    @Override
    public void event(String kind, Object fields) throws ClientGoneException {
      requireNonNull(kind, "kind");
      byte[] line =
          ControlProtocol.encode(ControlProtocol.event(kind, ControlProtocol.object(fields)));
      lock.lock();
      try {
        if (finished || gone || shuttingDown) {
          throw new ClientGoneException(
              finished
                  ? "the request already ended"
                  : gone ? "the client disconnected" : "berth is shutting down");
        }
        if (!write(line)) {
          throw new ClientGoneException("the client disconnected");
        }
      } finally {
        lock.unlock();
      }
    }

    @Override
    public void result(Object result) {
      finish(ControlProtocol.ok(ControlProtocol.object(result)));
    }

    @Override
    public void error(String code, String message) {
      finish(
          ControlProtocol.error(requireNonNull(code, "code"), requireNonNull(message, "message")));
    }

    private void finish(ObjectNode line) {
      byte[] bytes = ControlProtocol.encode(line);
      lock.lock();
      try {
        if (finished || gone || shuttingDown) {
          return;
        }
        finished = true;
        write(bytes);
      } finally {
        lock.unlock();
      }
      end();
    }

    /** Writes a whole line under the lock; false (and the client marked gone) if it cannot. */
    private boolean write(byte[] bytes) {
      ByteBuffer buffer = ByteBuffer.wrap(bytes);
      try {
        while (buffer.hasRemaining()) {
          channel.write(buffer);
        }
        return true;
      } catch (IOException e) {
        gone = true;
        return false;
      }
    }

    @Override
    public boolean open() {
      lock.lock();
      try {
        return !finished && !gone && !shuttingDown;
      } finally {
        lock.unlock();
      }
    }

    @Override
    public void onClose(Runnable action) {
      requireNonNull(action, "action");
      synchronized (onClose) {
        if (over.getCount() > 0) {
          onClose.add(action);
          return;
        }
      }
      runSafely(action);
    }

    @Override
    public boolean awaitClosed(Duration timeout) throws InterruptedException {
      return over.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public void awaitClosed() throws InterruptedException {
      over.await();
    }

    private void clientGone() {
      lock.lock();
      try {
        gone = true;
      } finally {
        lock.unlock();
      }
      end();
    }

    /** The server is closing: a request still running gets shutting_down as its final line. */
    void shutdown() {
      boolean locked = false;
      try {
        locked = lock.tryLock(FINAL_WRITE_GRACE.toNanos(), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      try {
        if (locked && !finished && !gone && !shuttingDown) {
          finished = true;
          write(
              ControlProtocol.encode(
                  ControlProtocol.error(ControlException.SHUTTING_DOWN, "berth is shutting down")));
        }
        shuttingDown = true;
      } finally {
        if (locked) {
          lock.unlock();
        }
      }
      end();
    }

    /** The request is over: close the connection and tell whoever waits, once. */
    private void end() {
      try {
        channel.close();
      } catch (IOException e) {
        // Nothing left to do with it.
      }
      List<Runnable> actions;
      synchronized (onClose) {
        if (over.getCount() == 0) {
          return;
        }
        over.countDown();
        actions = List.copyOf(onClose);
        onClose.clear();
      }
      actions.forEach(this::runSafely);
    }

    private void runSafely(Runnable action) {
      try {
        action.run();
      } catch (RuntimeException e) {
        LOG.log(
            System.Logger.Level.WARNING,
            "control: an on-close action of \"" + command + "\" failed",
            e);
      }
    }
  }
}
