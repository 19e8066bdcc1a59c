package dev.berth.acme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

/** When certificates are renewed and failed orders retried: pure, on given times and randomness. */
class RenewalPlanTest {

  /** nextDouble() is 0.0: the lowest draw. */
  private static final RandomGenerator LOWEST = () -> 0L;

  /** nextDouble() is just under 1.0: the highest draw. */
  private static final RandomGenerator HIGHEST = () -> -1L;

  private static final Instant ISSUED = Instant.parse("2026-12-01T00:00:00Z");
  private static final Instant EXPIRES = ISSUED.plus(Duration.ofDays(90));

  @Test
  void withoutRenewalInformationItRenewsAtTwoThirdsLessUpToAThirtiethOfTheLifetime() {
    Instant now = ISSUED.plusSeconds(60);

    assertThat(new RenewalPlan(LOWEST).renewAt(ISSUED, EXPIRES, now))
        .isEqualTo(ISSUED.plus(Duration.ofDays(60)));
    Instant earliest = new RenewalPlan(HIGHEST).renewAt(ISSUED, EXPIRES, now);
    assertThat(earliest)
        .isBefore(ISSUED.plus(Duration.ofDays(60)))
        .isAfterOrEqualTo(ISSUED.plus(Duration.ofDays(57)));
  }

  @Test
  void aCertificatePastItsRenewalTimeIsRenewedNow() {
    Instant now = ISSUED.plus(Duration.ofDays(80));

    assertThat(new RenewalPlan(LOWEST).renewAt(ISSUED, EXPIRES, now)).isEqualTo(now);
    assertThat(new RenewalPlan(LOWEST).renewAt(ISSUED, ISSUED, now)).isEqualTo(now);
  }

  @Test
  void theCasWindowIsFollowedWithAUniformDrawWithinIt() {
    RenewalPlan.Window window =
        new RenewalPlan.Window(ISSUED.plus(Duration.ofDays(30)), ISSUED.plus(Duration.ofDays(32)));
    Instant now = ISSUED.plus(Duration.ofDays(1));

    assertThat(new RenewalPlan(LOWEST).renewAt(window, now)).isEqualTo(window.start());
    assertThat(new RenewalPlan(HIGHEST).renewAt(window, now))
        .isBefore(window.end())
        .isAfter(window.end().minusSeconds(1));
  }

  @Test
  void aWindowThatHasBegunIsDrawnFromNowOnAndOneThatHasPassedMeansNow() {
    RenewalPlan.Window window =
        new RenewalPlan.Window(ISSUED.plus(Duration.ofDays(30)), ISSUED.plus(Duration.ofDays(32)));
    Instant during = ISSUED.plus(Duration.ofDays(31));

    assertThat(new RenewalPlan(LOWEST).renewAt(window, during)).isEqualTo(during);
    Instant after = window.end().plusSeconds(1);
    assertThat(new RenewalPlan(HIGHEST).renewAt(window, after)).isEqualTo(after);
  }

  @Test
  void theCasWindowIsReadAgainEverySixHoursUntilTheRenewal() {
    Instant now = ISSUED;
    Instant renewAt = ISSUED.plus(Duration.ofDays(30));

    assertThat(RenewalPlan.wakeAt(renewAt, true, now)).isEqualTo(now.plus(Duration.ofHours(6)));
    assertThat(RenewalPlan.wakeAt(now.plusSeconds(60), true, now)).isEqualTo(now.plusSeconds(60));
    // Without a window there is nothing to read again: the renewal itself wakes it.
    assertThat(RenewalPlan.wakeAt(renewAt, false, now)).isEqualTo(renewAt);
  }

  @Test
  void aWindowThatEndsBeforeItStartsIsRefused() {
    assertThatThrownBy(() -> new RenewalPlan.Window(EXPIRES, ISSUED))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void failuresAreRetriedAfterAMinuteDoublingUpToADayWithinTenPercent() {
    RenewalPlan low = new RenewalPlan(LOWEST);
    RenewalPlan high = new RenewalPlan(HIGHEST);
    Instant now = ISSUED;

    assertThat(low.retryAt(1, now, null)).isEqualTo(now.plusSeconds(54));
    assertThat(high.retryAt(1, now, null)).isEqualTo(now.plusSeconds(66));
    assertThat(low.retryAt(2, now, null)).isEqualTo(now.plusSeconds(108));
    assertThat(low.retryAt(5, now, null))
        .isEqualTo(now.plus(Duration.ofMinutes(16)).minusSeconds(96));
    // 2^11 minutes is past a day: a day it is, however long the failures go on.
    Duration day = Duration.ofDays(1);
    assertThat(low.retryAt(12, now, null)).isEqualTo(now.plus(day.multipliedBy(9).dividedBy(10)));
    assertThat(low.retryAt(10_000, now, null))
        .isEqualTo(now.plus(day.multipliedBy(9).dividedBy(10)));
  }

  @Test
  void theCasRetryAfterIsHonouredWhenLater() {
    RenewalPlan plan = new RenewalPlan(LOWEST);
    Instant later = ISSUED.plus(Duration.ofHours(3));

    assertThat(plan.retryAt(1, ISSUED, later)).isEqualTo(later);
    assertThat(plan.retryAt(1, ISSUED, ISSUED.plusSeconds(1))).isEqualTo(ISSUED.plusSeconds(54));
    assertThatThrownBy(() -> plan.retryAt(0, ISSUED, null))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theChallengeKindsTakeTurnsAfterFailures() {
    var both = java.util.List.of(ChallengeKind.HTTP_01, ChallengeKind.TLS_ALPN_01);

    assertThat(AcmeCertificates.rotated(both, 0)).isEqualTo(both);
    assertThat(AcmeCertificates.rotated(both, 1))
        .containsExactly(ChallengeKind.TLS_ALPN_01, ChallengeKind.HTTP_01);
    assertThat(AcmeCertificates.rotated(both, 2)).isEqualTo(both);
    assertThat(AcmeCertificates.rotated(java.util.List.of(ChallengeKind.HTTP_01), 3))
        .containsExactly(ChallengeKind.HTTP_01);
  }
}
