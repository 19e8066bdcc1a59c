package dev.berth.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.logs.LogLine;
import dev.berth.logs.LogSettings;
import dev.berth.logs.Logs;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A berth in the background: what goes to System.out and System.err, and the log records, end up in
 * berth's log (and on the console while it starts), not on the JVM's standard error.
 */
class OwnLogTest {

  @TempDir Path tmp;

  @Test
  void inTheBackgroundStandardStreamsAndRecordsGoToBerthsLog() throws Exception {
    PrintStream out = System.out;
    PrintStream err = System.err;
    Logger root = Logger.getLogger("");
    Handler[] handlers = root.getHandlers();
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    try (Logs logs = new Logs(LogSettings.defaults(tmp.resolve("log")));
        OwnLog ownLog = OwnLog.start(logs.berth())) {
      ownLog.takeOverStandardStreams(new PrintStream(console, true, StandardCharsets.UTF_8));
      assertThat(root.getHandlers()).noneMatch(h -> h instanceof java.util.logging.ConsoleHandler);

      System.err.println("Exception in thread \"x\" java.lang.IllegalStateException: boom");
      System.out.print("half a line, ");
      System.out.println("then the rest");
      Logger.getLogger("dev.berth.test").warning("a warning");

      // The lines reach the stream's memory through its writer thread.
      List<String> logged =
          dev.berth.testing.Await.value(
              "three lines in berth's log",
              () -> logs.berth().tail(10, line -> true).stream().map(LogLine::text).toList(),
              lines -> lines.size() >= 3);
      // A record as berth's format has it (set by Main; the JDK's own in tests).
      assertThat(logged).hasSize(3);
      assertThat(logged.subList(0, 2))
          .containsExactly(
              "Exception in thread \"x\" java.lang.IllegalStateException: boom",
              "half a line, then the rest");
      assertThat(logged.get(2)).contains("a warning");
      assertThat(console.toString(StandardCharsets.UTF_8))
          .startsWith(
              "Exception in thread \"x\" java.lang.IllegalStateException: boom\n"
                  + "half a line, then the rest\n")
          .contains("a warning");
    } finally {
      System.setOut(out);
      System.setErr(err);
      for (Handler handler : handlers) {
        if (List.of(root.getHandlers()).stream().noneMatch(h -> h == handler)) {
          root.addHandler(handler);
        }
      }
    }
  }
}
