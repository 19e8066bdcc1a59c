package dev.berth.supervisor;

import static java.util.Objects.requireNonNull;

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
 * Whether a starting incarnation is ready: it <b>answers</b> an HTTP request (any status). An
 * accepted connection proves nothing yet: a gunicorn master listens before its workers have loaded
 * the app, and exits when they cannot (an import error after a bad deploy). Taken as ready then, a
 * rolling restart put the broken successor in place of a working instance.
 *
 * <p>With a health check configured, the answer must also be a 2xx: an app that is up but says it
 * is not healthy (its database unreachable, say) takes no traffic yet.
 *
 * <p>The request ({@code GET} of the health check's path, or {@code /}) waits in the listen queue
 * until a worker takes it. Polled: each call waits a short while at most, so that the caller still
 * notices the process exiting, a stop, or the start timeout. A connection closed without an answer
 * (the master exiting) is tried again on the next call.
 */
final class ReadinessProbe implements AutoCloseable {

  private final Endpoint endpoint;
  private final ByteBuffer request;

  /** Enough for "HTTP/1.1 200": the status code is all that is read. */
  private final ByteBuffer answer = ByteBuffer.allocate(12);

  private final boolean needsSuccess;
  private Selector selector;
  private SocketChannel channel;
  private boolean connected;

  /**
   * @param needsSuccess whether only a 2xx answer counts (a configured health check)
   */
  ReadinessProbe(Endpoint endpoint, String path, boolean needsSuccess) {
    this.endpoint = requireNonNull(endpoint, "endpoint");
    this.needsSuccess = needsSuccess;
    this.request =
        ByteBuffer.wrap(
            ("GET "
                    + path
                    + " HTTP/1.1\r\nHost: localhost\r\nUser-Agent: berth-readiness\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
  }

  /**
   * @return true once it answered; otherwise false, after waiting up to {@code wait}
   */
  boolean answered(Duration wait) {
    long deadline = System.nanoTime() + wait.toNanos();
    try {
      if (channel == null && !open()) {
        sleepUntil(deadline);
        return false;
      }
      selector.select(Math.max(1, wait.toMillis()));
      selector.selectedKeys().clear();
      int read = channel.read(answer);
      if (read > 0 && (!needsSuccess || !answer.hasRemaining())) {
        boolean ok = !needsSuccess || isSuccess(answer);
        drop();
        if (!ok) {
          sleepUntil(deadline);
        }
        return ok;
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

  /** "HTTP/1.x 2xx" at the start of the answer. */
  private static boolean isSuccess(ByteBuffer answer) {
    String head = new String(answer.array(), 0, answer.position(), StandardCharsets.ISO_8859_1);
    return head.length() >= 10 && head.startsWith("HTTP/1.") && head.charAt(9) == '2';
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
