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

/** The words of a drain's report for one request, by when it ended and how its instance stopped. */
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
    long before = System.nanoTime();
    Incarnation killed = stopped(true);
    Incarnation terminated = stopped(false);

    assertThat(DrainReport.line(killed, cut(System.nanoTime())))
        .isEqualTo(
            "web.1 GET /big: cut mid-response, the client got part of a 200: web.1 was killed"
                + " (SIGKILL) (31.0s)");
    assertThat(DrainReport.line(terminated, cut(System.nanoTime())))
        .isEqualTo(
            "web.1 GET /big: cut mid-response, the client got part of a 200: the app closed the"
                + " connection after SIGTERM (31.0s)");
    // Ended before the stop began: no SIGTERM, no SIGKILL in it.
    assertThat(DrainReport.line(killed, cut(before)))
        .isEqualTo(
            "web.1 GET /big: cut mid-response, the client got part of a 200: the app closed the"
                + " connection (31.0s)");
  }

  @Test
  void aRequestThatFinishedIsNeverSaidToBeKilledAndOneOfUnknownLengthHasNoTime() {
    Incarnation killed = stopped(true);
    InstanceListener.Ended finished =
        new InstanceListener.Ended(
            "GET /slow", "finished 200", null, false, "finished", null, System.nanoTime());

    assertThat(DrainReport.line(killed, finished))
        .isEqualTo("web.1 GET /slow: finished 200 after SIGTERM");
  }

  @Test
  void drainTimeoutsAreShownAsConfigured() {
    assertThat(DrainReport.seconds(Duration.ofSeconds(30))).isEqualTo("30s");
    assertThat(DrainReport.seconds(Duration.ofMillis(1500))).isEqualTo("1.5s");
  }

  private static InstanceListener.Ended cut(long endedNanos) {
    return new InstanceListener.Ended(
        "GET /big",
        "cut mid-response, the client got part of a 200",
        "the app closed the connection",
        true,
        "cut",
        Duration.ofSeconds(31),
        endedNanos);
  }

  /** An incarnation whose stop began now, and which exited with {@code code}. */
  /** An incarnation whose stop began, and that berth killed at its stop_timeout or not. */
  private Incarnation stopped(boolean killedByBerth) {
    FakeProcess process = new FakeProcess();
    Incarnation incarnation =
        new Incarnation(
            "web.1",
            null,
            process,
            LinePump.start("web.1", InputStream.nullInputStream(), logs.stream("web")),
            Instant.now());
    incarnation.markTerminating();
    process.exit(killedByBerth ? 128 + 9 : 128 + 15);
    if (killedByBerth) {
      incarnation.markKilled();
    }
    return incarnation;
  }
}
