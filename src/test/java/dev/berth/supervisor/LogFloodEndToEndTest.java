package dev.berth.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.testing.Await;
import dev.berth.testing.BerthProcess;
import dev.berth.testing.Cli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker printing as fast as it can through a real berth: its lines past log_rate_limit are
 * dropped and their count is in berth logs, and berth keeps answering meanwhile.
 */
class LogFloodEndToEndTest {

  /**
   * 100,000 lines of 80 x's as fast as Python prints them, then after a quiet second (which has
   * berth report the drops at the next line) a line, then idle.
   */
  private static final String FLOOD =
      """
      import sys, time
      line = "x" * 80 + "\\n"
      for i in range(100000):
          sys.stdout.write(line)
      sys.stdout.flush()
      time.sleep(1.2)
      print("quiet now", flush=True)
      time.sleep(600)
      """;

  private static final Pattern REPORT =
      Pattern.compile(
          "flood\\.worker\\.1: [\\d,]+ line\\(s\\) dropped in [\\d.]+ s \\(log_rate_limit 1000/s\\)");

  @TempDir Path tmp;
  private Path config;

  @Test
  void aFloodIsCutToTheRateAndItsDropsAreReported() throws Exception {
    Path app = Files.createDirectory(tmp.resolve("app"));
    Files.writeString(app.resolve("flood.py"), FLOOD);
    try (BerthProcess berth =
        BerthProcess.upOnFreePort(
            port ->
                config =
                    BerthProcess.write(
                        tmp.resolve("berth.toml"),
                        """
                        state_dir = "%1$s/state"

                        [[listeners]]
                        address = "127.0.0.1:%2$d"

                        [apps.flood]
                        dir = "%1$s/app"
                        user = "root"
                        log_rate_limit = 1000
                        processes = { worker = "/usr/bin/python3 -u flood.py" }
                        stop_timeout = "1s"
                        """
                            .formatted(tmp, port)))) {
      Await.until(
          "berth logs shows the dropped lines",
          () -> REPORT.matcher(Cli.run(config, "logs", "flood", "-n", "20").out()).find());
      String logs = Cli.run(config, "logs", "flood", "-n", "20").out();
      assertThat(logs).contains("quiet now");
      // The file has every line kept (the in-memory ring only the last 1000): the burst (1000),
      // plus 1000 a second for as long as the flood lasted (1-2 s here; 5 s would be very slow).
      long kept =
          Files.readAllLines(tmp.resolve("state/log/flood.log")).stream()
              .filter(l -> l.endsWith("x".repeat(80)))
              .count();
      assertThat(kept).isBetween(1000L, 6000L);
      // berth answered all along (the logs above), and still does.
      Cli status = Cli.run(config, "status");
      assertThat(status.exit()).as(status.err()).isZero();
      assertThat(status.out()).contains("flood.worker.1");
      // berth's own log has it too.
      Await.until(
          "berth.log has the report",
          () -> REPORT.matcher(Files.readString(tmp.resolve("state/log/berth.log"))).find());
    }
  }
}
