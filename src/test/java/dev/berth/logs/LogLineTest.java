package dev.berth.logs;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class LogLineTest {

  @Test
  void formatsUtcWithMillisecondsSourceAndText() {
    LogLine line =
        new LogLine(Instant.parse("2026-11-24T19:35:03.123456Z"), "web", "web.1", "GET / 200");
    assertThat(line.format()).isEqualTo("2026-11-24T19:35:03.123Z web.1 | GET / 200");
  }

  @Test
  void alwaysWritesThreeFractionDigits() {
    LogLine line = new LogLine(Instant.parse("2026-01-02T03:04:05Z"), "web", "web.2", "");
    assertThat(line.format()).isEqualTo("2026-01-02T03:04:05.000Z web.2 | ");
  }

  @Test
  void eachLineOfAMultiLineTextGetsThePrefix() {
    LogLine line =
        new LogLine(
            Instant.parse("2026-01-02T03:04:05.006Z"),
            "berth",
            "berth",
            "failed:\r\n    last\nend");
    assertThat(line.format())
        .isEqualTo(
            "2026-01-02T03:04:05.006Z berth | failed:\n"
                + "2026-01-02T03:04:05.006Z berth |     last\n"
                + "2026-01-02T03:04:05.006Z berth | end");
  }
}
