package dev.berth.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code berth restart} over real instances whose processes are {@link FakeProcess}es: each one in
 * turn as its state and rollout ask, stopping at the first failure.
 */
class RollingRestartTest {

  @TempDir Path tmp;
  private ShopInstances shop;
  private ScriptedLauncher launcher;
  private FakeTicker ticker;
  private List<Instance> all;
  private final List<String> lines = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    shop =
        new ShopInstances(
            tmp,
            "{ worker = \"work\", clock = { command = \"tick\", rollout = \"stop-first\" } }",
            "web.1",
            "worker.1",
            "clock.1");
    launcher = shop.launcher;
    ticker = shop.ticker;
    all = shop.all;
  }

  @AfterEach
  void tearDown() {
    shop.close();
  }

  @Test
  void eachInstanceInTurnAsItsStateAndRolloutAsk() throws Exception {
    Instance worker = all.get(1);
    worker.stop().join();
    List<Incarnation> before = all.stream().map(i -> i.current().orElse(null)).toList();

    assertThat(RollingRestart.restart(all, lines::add)).isEmpty();

    assertThat(lines).hasSize(5);
    assertThat(lines.get(0)).isEqualTo("shop.1: starting its successor");
    assertThat(lines.get(1)).startsWith("shop.1: replaced in ");
    assertThat(lines.get(2)).isEqualTo("shop.worker.1: stopped, left stopped");
    assertThat(lines.get(3)).isEqualTo("shop.clock.1: stopping it, then starting it (stop-first)");
    assertThat(lines.get(4)).startsWith("shop.clock.1: stopped, then started in ");
    assertThat(all.get(0).current()).isPresent().get().isNotSameAs(before.get(0));
    assertThat(all.get(2).current()).isPresent().get().isNotSameAs(before.get(2));
    assertThat(worker.state()).isEqualTo(Instance.State.STOPPED);
  }

  @Test
  void aFailedSuccessorStopsTheRestartAndTheOldOneKeepsServing() throws Exception {
    Incarnation web = all.get(0).current().orElseThrow();
    Incarnation clock = all.get(2).current().orElseThrow();
    launcher.failNextStarts(1, "shop.1: exited with code 3 before it was ready");

    Optional<String> failure = RollingRestart.restart(all, lines::add);

    assertThat(failure)
        .contains(
            "shop.1: exited with code 3 before it was ready (the running instance keeps serving)");
    assertThat(lines).containsExactly("shop.1: starting its successor");
    assertThat(all.get(0).current()).containsSame(web);
    assertThat(all.get(2).current()).containsSame(clock);
  }
}
