package dev.berth.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A child process's output, read line by line as it comes, for tests that wait on a line. */
final class OutputLines {

  private final Process process;
  private final List<String> lines = new ArrayList<>();
  private final Thread reader;

  OutputLines(Process process) {
    this.process = process;
    // A platform thread: a blocking pipe read would pin a virtual thread's carrier.
    this.reader =
        Thread.ofPlatform()
            .daemon()
            .start(
                () -> {
                  try (BufferedReader in =
                      new BufferedReader(
                          new InputStreamReader(
                              process.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = in.readLine()) != null) {
                      synchronized (lines) {
                        lines.add(line);
                        lines.notifyAll();
                      }
                    }
                  } catch (IOException e) {
                    // The process ended.
                  }
                });
  }

  /**
   * The first line {@code wanted} accepts, waiting for it up to {@code timeout}; empty when none
   * came by then or the output ended without one.
   */
  Optional<String> await(Predicate<String> wanted, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lines) {
      while (true) {
        Optional<String> found = lines.stream().filter(wanted).findFirst();
        long left = deadline - System.nanoTime();
        if (found.isPresent() || left <= 0 || (!process.isAlive() && !reader.isAlive())) {
          return found;
        }
        lines.wait(Math.max(1, Math.min(200, TimeUnit.NANOSECONDS.toMillis(left))));
      }
    }
  }

  /** Waits until the output has been read to its end (the process exited). */
  void awaitEnd(Duration timeout) {
    try {
      reader.join(timeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  String text() {
    synchronized (lines) {
      return String.join("\n", lines);
    }
  }
}
