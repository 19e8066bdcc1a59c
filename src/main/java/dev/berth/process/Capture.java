package dev.berth.process;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * One output stream of a child, read to its end on a thread of its own, so that a child writing
 * more than a pipe holds to both streams never waits for a reader that waits for it. Keeps the
 * first {@link #LIMIT} bytes (the rest is read and dropped, so that a runaway child cannot fill the
 * heap) and hands every line to a listener as it comes.
 */
final class Capture {

  static final int LIMIT = 8 << 20;

  private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
  private final ByteArrayOutputStream line = new ByteArrayOutputStream();
  private Consumer<String> listener;
  private final Thread thread;

  private Capture(InputStream in, String name, Consumer<String> listener) {
    this.listener = listener;
    this.thread = Thread.ofVirtual().name(name).start(() -> drain(in));
  }

  /**
   * Starts reading {@code in}.
   *
   * @param listener gets each line (without its end of line), or null
   */
  static Capture start(InputStream in, String name, Consumer<String> listener) {
    return new Capture(in, name, listener);
  }

  /** Waits for the end of the stream: whether it came within {@code timeout}. */
  boolean await(Duration timeout) throws InterruptedException {
    return thread.join(timeout.isNegative() ? Duration.ZERO : timeout);
  }

  /** What was read so far, as UTF-8. */
  String text() {
    synchronized (kept) {
      return kept.toString(StandardCharsets.UTF_8);
    }
  }

  private void drain(InputStream in) {
    byte[] buffer = new byte[8192];
    try (in) {
      int n;
      while ((n = in.read(buffer)) >= 0) {
        synchronized (kept) {
          kept.write(buffer, 0, Math.min(n, Math.max(0, LIMIT - kept.size())));
        }
        if (listener != null) {
          split(buffer, n);
        }
      }
    } catch (IOException e) {
      // The stream was closed under us: the process is gone, what it wrote is kept.
    }
    if (line.size() > 0) {
      emit();
    }
  }

  private void split(byte[] buffer, int n) {
    for (int i = 0; i < n; i++) {
      if (buffer[i] == '\n') {
        emit();
      } else if (line.size() < LIMIT) {
        line.write(buffer[i]);
      }
    }
  }

  private void emit() {
    String text = line.toString(StandardCharsets.UTF_8);
    line.reset();
    if (text.endsWith("\r")) {
      text = text.substring(0, text.length() - 1);
    }
    if (listener == null) {
      return;
    }
    try {
      listener.accept(text);
    } catch (RuntimeException e) {
      // A listener that fails is not called again; the stream is still read to its end, or the
      // child would block on a full pipe.
      listener = null;
    }
  }
}
