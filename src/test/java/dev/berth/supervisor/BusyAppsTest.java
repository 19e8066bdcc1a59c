package dev.berth.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** One operation per app at a time: a second is refused at once, naming the first. */
class BusyAppsTest {

  private final BusyApps busy = new BusyApps();

  @Test
  void aSecondOperationIsRefusedUntilTheFirstIsClosed() {
    try (Supervisor.Exclusive deploy = busy.exclusive("shop", "deploy")) {
      assertThat(busy.isBusy("shop")).isTrue();
      assertThatThrownBy(() -> busy.exclusive("shop", "restart"))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageStartingWith("shop: busy: a deploy is in progress (for ")
          .hasMessageEndingWith("s); try again when it is done");
      // Another app is not held up.
      busy.exclusive("blog", "restart").close();
    }
    assertThat(busy.isBusy("shop")).isFalse();
    busy.exclusive("shop", "restart").close();
  }
}
