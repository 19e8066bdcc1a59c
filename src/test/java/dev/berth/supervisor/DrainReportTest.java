package dev.berth.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.logs.LinePump;
import dev.berth.logs.LogSettings;
import dev.berth.logs.Logs;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The words of a drain's report for one request, by how its instance stopped. */
class DrainReportTest {

  @TempDir Path tmp;
  private Logs logs;

  @BeforeEach
  void setUp() throws Exception {
    logs = new Logs(LogSettings.defaults(tmp.resolve("log")));
  }

  @AfterEach
  void tearDown() {
    logs.close();
  }

  @Test
  void aRequestTheAppCutIsSaidToBeCutByTheKillWhenItsInstanceWasKilled() {
    InstanceListener.Ended cut =
        TrafficSwitchTest.ended(
            "GET /big",
            "cut mid-response, the client got part of a 200",
            "the app closed the connection",
            "cut",
            31);

    assertThat(DrainReport.line(exited(128 + 9), cut, true))
        .isEqualTo(
            "web.1 GET /big: cut mid-response, the client got part of a 200: web.1 was killed"
                + " (SIGKILL) (31.0s)");
    assertThat(DrainReport.line(exited(143), cut, true))
        .isEqualTo(
            "web.1 GET /big: cut mid-response, the client got part of a 200: the app closed the"
                + " connection after SIGTERM (31.0s)");
    // Ended before the stop began (berth closed it): no SIGTERM in it.
    assertThat(DrainReport.line(exited(128 + 9), cut, false))
        .isEqualTo(
            "web.1 GET /big: cut mid-response, the client got part of a 200: the app closed the"
                + " connection (31.0s)");
  }

  @Test
  void aRequestThatFinishedIsNeverSaidToBeKilledAndOneOfUnknownLengthHasNoTime() {
    InstanceListener.Ended finished =
        new InstanceListener.Ended("GET /slow", "finished 200", null, false, "finished", null);

    assertThat(DrainReport.line(exited(128 + 9), finished, true))
        .isEqualTo("web.1 GET /slow: finished 200 after SIGTERM");
  }

  @Test
  void drainTimeoutsAreShownAsConfigured() {
    assertThat(DrainReport.seconds(Duration.ofSeconds(30))).isEqualTo("30s");
    assertThat(DrainReport.seconds(Duration.ofMillis(1500))).isEqualTo("1.5s");
  }

  private Incarnation exited(int code) {
    FakeProcess process = new FakeProcess();
    process.exit(code);
    return new Incarnation(
        "web.1",
        null,
        process,
        LinePump.start("web.1", InputStream.nullInputStream(), logs.stream("web")),
        Instant.now());
  }
}
