package dev.berth.supervisor;

import static java.util.Objects.requireNonNull;

import dev.berth.config.ProbeRequest;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;

/**
 * Whether a starting incarnation is ready: it <b>answers</b> an HTTP request with a status that
 * says it can serve ({@link ProbeRequest#accepts}: below 500, or 2xx/3xx from a configured health
 * check). An accepted connection proves nothing yet: a gunicorn master listens before its workers
 * have loaded the app, and exits when they cannot (an import error after a bad deploy). Taken as
 * ready then, a rolling restart put the broken successor in place of a working instance. An answer
 * proves no more when it is a 500 on every page (a release whose migrations have not run): that
 * release must not be switched in either.
 *
 * <p>The request ({@link ProbeRequest}: what a request routed to the app would carry) waits in the
 * listen queue until a worker takes it. Polled: each call waits a short while at most, so that the
 * caller still notices the process exiting, a stop, or the start timeout. A connection closed
 * without an answer (the master exiting) is tried again on the next call; after an answer that did
 * not count, the next request waits a second, so that a failing app is not asked twenty times a
 * second (each one a traceback in its log) for its whole start timeout.
 */
final class ReadinessProbe implements AutoCloseable {

  /** How long after an answer that did not count the next request waits. */
  private static final Duration AFTER_REFUSAL = Duration.ofSeconds(1);

  private final Endpoint endpoint;
  private final ProbeRequest probe;
  private final ByteBuffer request;

  /** The status line is all that is read ("HTTP/1.1 500 Internal Server Error"). */
  private final ByteBuffer answer = ByteBuffer.allocate(256);

  private Selector selector;
  private SocketChannel channel;
  private boolean connected;
  private String lastRefusal;
  private long notBefore = System.nanoTime();

  ReadinessProbe(Endpoint endpoint, ProbeRequest probe) {
    this.endpoint = requireNonNull(endpoint, "endpoint");
    this.probe = requireNonNull(probe, "probe");
    this.request =
        ByteBuffer.wrap(probe.head("berth-readiness").getBytes(StandardCharsets.ISO_8859_1));
  }

  /**
   * @return true once it answered with a status that counts; otherwise false, after waiting up to
   *     {@code wait}
   */
  boolean answered(Duration wait) {
    long deadline = System.nanoTime() + wait.toNanos();
    try {
      if (channel == null && (System.nanoTime() - notBefore < 0 || !open())) {
        sleepUntil(deadline);
        return false;
      }
      selector.select(Math.max(1, wait.toMillis()));
      selector.selectedKeys().clear();
      int read = channel.read(answer);
      String line = statusLine(answer, read == -1);
      if (line != null) {
        drop();
        int status = status(line);
        if (status >= 0 && probe.accepts(status)) {
          return true;
        }
        lastRefusal =
            status >= 0 ? line.substring("HTTP/1.1 ".length()) : "\"" + line + "\" (not HTTP)";
        notBefore = System.nanoTime() + AFTER_REFUSAL.toNanos();
        sleepUntil(deadline);
        return false;
      }
      if (read == -1) {
        drop();
        sleepUntil(deadline);
      }
      return false;
    } catch (IOException e) {
      drop();
      sleepUntil(deadline);
      return false;
    }
  }

  /**
   * The status line read so far, once it is whole (or the buffer full, or the answer ended after
   * something); null while more may come.
   */
  static String statusLine(ByteBuffer answer, boolean ended) {
    String head = new String(answer.array(), 0, answer.position(), StandardCharsets.ISO_8859_1);
    int end = head.indexOf("\r\n");
    if (end >= 0) {
      return head.substring(0, end);
    }
    return !answer.hasRemaining() || (ended && !head.isEmpty()) ? head.strip() : null;
  }

  /** The status code of "HTTP/1.x NNN ...", or -1 for anything else. */
  static int status(String line) {
    if (line.length() < 12
        || !line.startsWith("HTTP/1.")
        || line.charAt(8) != ' '
        || (line.length() > 12 && line.charAt(12) != ' ')) {
      return -1;
    }
    for (int i = 9; i < 12; i++) {
      if (line.charAt(i) < '0' || line.charAt(i) > '9') {
        return -1;
      }
    }
    return Integer.parseInt(line, 9, 12, 10);
  }

  /**
   * Why the last answer did not count, as "GET / answered 500 Internal Server Error"; null when
   * none came.
   */
  String lastRefusal() {
    return lastRefusal == null ? null : probe.describe() + " answered " + lastRefusal;
  }

  /** Whether a connection was accepted at least once (for the message when it never answers). */
  boolean connected() {
    return connected;
  }

  private boolean open() throws IOException {
    SocketAddress address =
        switch (endpoint) {
          case Endpoint.Unix unix ->
              Files.exists(unix.path()) ? UnixDomainSocketAddress.of(unix.path()) : null;
          case Endpoint.Tcp tcp ->
              new InetSocketAddress(InetAddress.getLoopbackAddress(), tcp.port());
        };
    if (address == null) {
      return false;
    }
    SocketChannel opened =
        SocketChannel.open(
            address instanceof UnixDomainSocketAddress
                ? StandardProtocolFamily.UNIX
                : StandardProtocolFamily.INET);
    try {
      opened.connect(address);
      connected = true;
      request.rewind();
      while (request.hasRemaining()) {
        opened.write(request);
      }
      opened.configureBlocking(false);
      if (selector == null) {
        selector = Selector.open();
      }
      opened.register(selector, SelectionKey.OP_READ);
    } catch (IOException e) {
      opened.close();
      return false;
    }
    channel = opened;
    return true;
  }

  private void drop() {
    answer.clear();
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException e) {
        // Closing anyway.
      }
      channel = null;
    }
  }

  @Override
  public void close() {
    drop();
    if (selector != null) {
      try {
        selector.close();
      } catch (IOException e) {
        // Closing anyway.
      }
    }
  }

  private static void sleepUntil(long deadline) {
    long left = deadline - System.nanoTime();
    if (left > 0) {
      try {
        Thread.sleep(Duration.ofNanos(left));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
