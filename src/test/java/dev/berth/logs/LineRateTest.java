package dev.berth.logs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class LineRateTest {

  private static final long SECOND = 1_000_000_000L;

  private static int taken(LineRate rate, int tries) {
    int n = 0;
    for (int i = 0; i < tries; i++) {
      if (rate.take()) {
        n++;
      }
    }
    return n;
  }

  @Test
  void aBurstOfOneSecondThenTheRate() {
    LineRate rate = new LineRate(100, 0);
    assertThat(taken(rate, 1000)).isEqualTo(100);

    rate.refill(SECOND / 10);
    assertThat(taken(rate, 1000)).isEqualTo(10);
  }

  @Test
  void aLongPauseRefillsNoMoreThanTheBurst() {
    LineRate rate = new LineRate(100, 0);
    taken(rate, 100);

    rate.refill(3600 * SECOND);
    assertThat(taken(rate, 1000)).isEqualTo(100);
  }

  @Test
  void fractionsOfALineAddUp() {
    LineRate rate = new LineRate(3, 0);
    taken(rate, 3);
    // Half a second earns one and a half lines, in steps that each earn less than one.
    for (int i = 1; i <= 10; i++) {
      rate.refill(i * SECOND / 20);
    }
    assertThat(taken(rate, 10)).isEqualTo(1);
  }

  @Test
  void zeroIsNoLimit() {
    LineRate rate = new LineRate(0, 0);
    assertThat(taken(rate, 1_000_000)).isEqualTo(1_000_000);
    assertThatThrownBy(() -> new LineRate(-1, 0)).isInstanceOf(IllegalArgumentException.class);
  }
}
