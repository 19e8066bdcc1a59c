package dev.berth.testing;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A steady load of GET requests against berth, from a few clients on raw keep-alive connections.
 * Nothing is retried on the client side: a request that does not get a whole 200 response (another
 * status, a reset, a cut connection, a timeout) counts as failed, with what happened.
 */
public final class HttpLoad implements AutoCloseable {

  private static final int MAX_RECORDED = 20;

  private final int port;
  private final String path;
  private final List<Thread> clients = new ArrayList<>();
  private final AtomicLong ok = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final List<String> failures = new ArrayList<>();
  private volatile boolean running = true;

  private HttpLoad(int port, String path) {
    this.port = port;
    this.path = path;
  }

  /** Starts {@code clients} threads, each sending GET {@code path} one after another. */
  public static HttpLoad start(int port, String path, int clients) {
    HttpLoad load = new HttpLoad(port, path);
    for (int i = 0; i < clients; i++) {
      // Platform threads: they block on sockets the whole time.
      load.clients.add(Thread.ofPlatform().daemon().name("load-" + i).start(load::run));
    }
    return load;
  }

  public long ok() {
    return ok.get();
  }

  public long failed() {
    return failed.get();
  }

  /** The first failures, one line each. */
  public List<String> failures() {
    synchronized (failures) {
      return List.copyOf(failures);
    }
  }

  /**
   * Waits until {@code more} further requests succeeded; fails if they do not within the timeout.
   */
  public void awaitMore(long more, Duration timeout) {
    long target = ok.get() + more;
    try {
      Await.value("load: " + target + " requests succeeded", timeout, ok::get, n -> n >= target);
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "; failures: " + failures(), e);
    }
  }

  /** Stops the clients and waits for them; requests in flight finish first. */
  @Override
  public void close() throws InterruptedException {
    running = false;
    for (Thread client : clients) {
      client.join(Duration.ofSeconds(40));
    }
  }

  private void run() {
    Socket socket = null;
    InputStream in = null;
    try {
      while (running) {
        try {
          if (socket == null) {
            socket = new Socket(InetAddress.getLoopbackAddress(), port);
            socket.setSoTimeout(30_000);
            in = new BufferedInputStream(socket.getInputStream());
          }
          HttpConnection.Response response = exchange(socket.getOutputStream(), in);
          if (response.status() == 200) {
            ok.incrementAndGet();
          } else {
            fail("status " + response.status() + ": " + response.body().strip());
          }
          if (response.close()) {
            socket.close();
            socket = null;
          }
        } catch (IOException e) {
          fail(e.toString());
          closeQuietly(socket);
          socket = null;
        }
      }
    } finally {
      closeQuietly(socket);
    }
  }

  private void fail(String what) {
    failed.incrementAndGet();
    synchronized (failures) {
      if (failures.size() < MAX_RECORDED) {
        failures.add(what);
      }
    }
  }

  private HttpConnection.Response exchange(OutputStream out, InputStream in) throws IOException {
    out.write(
        ("GET " + path + " HTTP/1.1\r\nHost: load.test\r\n\r\n")
            .getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
    return HttpConnection.read(in);
  }

  private static void closeQuietly(Socket socket) {
    if (socket != null) {
      try {
        socket.close();
      } catch (IOException e) {
        // Closing anyway.
      }
    }
  }
}
