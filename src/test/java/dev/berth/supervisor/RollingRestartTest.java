package dev.berth.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.config.App;
import dev.berth.config.ConfigLoader;
import dev.berth.logs.LogSettings;
import dev.berth.logs.Logs;
import java.nio.file.Files;
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

  private static final String CONFIG =
      """
      [[listeners]]
      address = "127.0.0.1:8080"

      [apps.shop]
      dir = "%s"
      command = "serve"
      drain_timeout = "1s"
      processes = { worker = "work", clock = { command = "tick", rollout = "stop-first" } }
      """;

  @TempDir Path tmp;
  private Logs logs;
  private ScriptedLauncher launcher;
  private final FakeTicker ticker = new FakeTicker();
  private final TrafficSwitch traffic = new TrafficSwitch(new RecordingListener());
  private final List<Instance> all = new ArrayList<>();
  private final List<String> lines = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    logs = new Logs(LogSettings.defaults(tmp.resolve("log")));
    launcher = new ScriptedLauncher(logs, tmp);
    Path config = tmp.resolve("berth.toml");
    Files.writeString(config, CONFIG.formatted(tmp));
    App app = ConfigLoader.load(config).apps().get("shop");
    for (String type : List.of("web", "worker", "clock")) {
      Instance instance =
          new Instance(app, type, 1, launcher, traffic.slot("shop", 1, true), ticker);
      all.add(instance);
      assertThat(instance.begin().join()).isEmpty();
    }
  }

  @AfterEach
  void tearDown() {
    all.forEach(instance -> instance.shutdown().join());
    logs.close();
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
