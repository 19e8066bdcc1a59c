package dev.berth.supervisor;

import static java.util.Objects.requireNonNull;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * A stop that needed SIGKILL: processes of an instance still running when its stop_timeout after
 * SIGTERM was over. A job cut this way must not go unnoticed, so it is told where the user looks:
 * the instance's last problem ({@code berth status}), a berth line in the app's log, and the output
 * of the command that stopped it (see {@link StopKills}).
 *
 * @param tag the instance, as logs name it (shop.worker.1)
 * @param processes how many were still running and got SIGKILL
 * @param grace the time they had from SIGTERM (the type's stop_timeout)
 * @param at when SIGKILL was sent
 */
record SigKill(String tag, int processes, Duration grace, Instant at) {

  // UTC, as the times of berth's log lines are.
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneOffset.UTC);

  SigKill {
    requireNonNull(tag, "tag");
    requireNonNull(grace, "grace");
    requireNonNull(at, "at");
    if (processes < 1) {
      throw new IllegalArgumentException("processes must be >= 1: " + processes);
    }
  }

  /**
   * {@code shop.worker.1: still running 30s after SIGTERM; killed (SIGKILL) at 21:40:12 UTC}: the
   * instance's last problem and the app log's line.
   */
  String problem() {
    return tag
        + ": "
        + (processes == 1 ? "" : processes + " processes ")
        + "still running "
        + seconds(grace)
        + " after SIGTERM; killed (SIGKILL) at "
        + TIME.format(at)
        + " UTC";
  }

  /** {@code shop.worker.1 killed 30s after SIGTERM}: for a step's line, with others. */
  String brief() {
    return tag + " killed " + seconds(grace) + " after SIGTERM";
  }

  /** 30s, 1.5s: as a stop_timeout is written. */
  static String seconds(Duration duration) {
    return BigDecimal.valueOf(duration.toMillis(), 3).stripTrailingZeros().toPlainString() + "s";
  }
}
