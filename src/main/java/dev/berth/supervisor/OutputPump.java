package dev.berth.supervisor;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;

/**
 * Copies a process's output line by line to berth's own output, tagged with the instance, and
 * keeps the last lines for error messages ("failed to start: ... last output: ...").
 */
final class OutputPump {

  private static final int KEEP_LINES = 20;

  private final ArrayDeque<String> last = new ArrayDeque<>();
  private final Thread thread;

  OutputPump(String tag, InputStream output, PrintStream sink) {
    // A platform thread: a blocking read of a process pipe pins a virtual thread to its carrier,
    // and two such reads on a 2-core machine left no carrier for anything else (stopping hung).
    thread =
        Thread.ofPlatform()
            .daemon()
            .stackSize(256 * 1024)
            .name("output-" + tag)
            .start(
                () -> {
                  try (BufferedReader reader =
                      new BufferedReader(new InputStreamReader(output, StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = reader.readLine()) != null) {
                      remember(line);
                      sink.println(tag + " | " + line);
                    }
                  } catch (IOException e) {
                    // The process closed its output (it exited): nothing more to copy.
                  }
                });
  }

  private synchronized void remember(String line) {
    if (last.size() == KEEP_LINES) {
      last.removeFirst();
    }
    last.addLast(line);
  }

  /** The last lines the process wrote, waiting briefly for its output to be read to the end. */
  List<String> lastLines() {
    try {
      thread.join(500);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    synchronized (this) {
      return List.copyOf(last);
    }
  }
}
