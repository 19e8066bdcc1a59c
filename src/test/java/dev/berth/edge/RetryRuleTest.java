package dev.berth.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.HttpMethod;
import org.junit.jupiter.api.Test;

class RetryRuleTest {

  @Test
  void aLostIdempotentRequestWithoutBodyGoesOnAsOftenAsRetriesSay() {
    assertThat(RetryRule.retryAfterLoss(HttpMethod.GET, false, 1, 1)).isTrue();
    assertThat(RetryRule.retryAfterLoss(HttpMethod.GET, false, 2, 1))
        .as("the second loss with retries = 1: a request of death ends two instances, not all")
        .isFalse();
    assertThat(RetryRule.retryAfterLoss(HttpMethod.HEAD, false, 3, 3)).isTrue();
    assertThat(RetryRule.retryAfterLoss(HttpMethod.DELETE, false, 4, 3)).isFalse();
  }

  @Test
  void retriesZeroNeverSendsALostRequestAgain() {
    assertThat(RetryRule.retryAfterLoss(HttpMethod.GET, false, 1, 0)).isFalse();
  }

  @Test
  void aNonIdempotentRequestIsNeverSentTwice() {
    for (HttpMethod method : new HttpMethod[] {HttpMethod.POST, HttpMethod.PATCH}) {
      assertThat(RetryRule.retryAfterLoss(method, false, 1, 5)).as(method.name()).isFalse();
    }
    assertThat(RetryRule.retryAfterLoss(HttpMethod.valueOf("LOCK"), false, 1, 5)).isFalse();
  }

  @Test
  void aRequestWithABodyIsNeverSentTwiceEvenIfIdempotent() {
    // The body streams through and is not kept: once any of it went out it cannot go again.
    assertThat(RetryRule.retryAfterLoss(HttpMethod.PUT, true, 1, 5)).isFalse();
    assertThat(RetryRule.retryAfterLoss(HttpMethod.GET, true, 1, 5)).isFalse();
    assertThat(RetryRule.retryAfterLoss(HttpMethod.PUT, false, 1, 5)).isTrue();
  }
}
