package dev.berth.access;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.config.RouteAccess.RateLimit;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RateLimiterTest {

  private long now = 42;
  private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

  @Test
  void aBurstThenOnePerInterval() {
    RateLimiter limiter =
        new RateLimiter(new RateLimit(2, Duration.ofSeconds(1), 3), () -> now, 16);
    assertThat(limiter.take(1)).isZero();
    assertThat(limiter.take(1)).isZero();
    assertThat(limiter.take(1)).isZero();
    assertThat(limiter.take(1)).isEqualTo(SECOND / 2);
    now += SECOND / 2;
    assertThat(limiter.take(1)).isZero();
    assertThat(limiter.take(1)).isEqualTo(SECOND / 2);
    // A refused request takes nothing: waiting the time it was told is enough.
    now += SECOND / 2;
    assertThat(limiter.take(1)).isZero();
  }

  @Test
  void memoryStaysBoundedUnderAFloodOfAddresses() {
    RateLimiter limiter =
        new RateLimiter(new RateLimit(1, Duration.ofSeconds(1), 5), () -> now, 64);
    for (long client = 0; client < 10_000; client++) {
      assertThat(limiter.take(client)).isZero();
      assertThat(limiter.clients()).isLessThanOrEqualTo(64);
    }
  }

  @Test
  void fullBucketsGoFirstWhenRoomIsNeeded() {
    RateLimiter limiter = new RateLimiter(new RateLimit(1, Duration.ofSeconds(1), 2), () -> now, 8);
    for (long client = 0; client < 8; client++) {
      limiter.take(client);
    }
    now += 2 * SECOND; // every bucket is full again
    limiter.take(0);
    limiter.take(0);
    limiter.take(100);
    assertThat(limiter.clients()).isLessThan(8);
    // The client that was in debt kept its bucket.
    assertThat(limiter.take(0)).isPositive();
  }

  @Test
  void idleOnceEveryBucketIsFullAgain() {
    RateLimiter limiter = new RateLimiter(new RateLimit(1, Duration.ofSeconds(1), 3), () -> now, 8);
    limiter.take(1);
    assertThat(limiter.idle()).isFalse();
    now += 3 * SECOND + 1;
    assertThat(limiter.idle()).isTrue();
  }
}
