package dev.berth.supervisor;

import static dev.berth.supervisor.ScriptedLauncher.process;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.config.App;
import dev.berth.config.ConfigLoader;
import dev.berth.logs.LogSettings;
import dev.berth.logs.Logs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The order of a deploy's replacement and of a restart, per rollout, in-process: an app with web,
 * worker and clock (stop-first by its name), run by a {@link FixedPorts} launcher on {@link
 * ScriptedLauncher}'s fakes, where a clock holds a fixed port, so that a second clock process
 * beside the first cannot start, as a real one bound to a port could not.
 */
class GenerationReplacementTest {

  private static final String APP =
      """
      [[listeners]]
      address = "127.0.0.1:8080"

      [apps.shop]
      dir = "%s"
      command = "serve"
      drain_timeout = "1s"
      processes = { worker = { command = "work" }, clock = { command = "tick" } }
      """;

  @TempDir Path tmp;
  private Logs logs;
  private App release1;
  private App release2;
  private FixedPorts launcher;
  private final FakeTicker ticker = new FakeTicker();
  private final RecordingListener edge = new RecordingListener();
  private final TrafficSwitch traffic = new TrafficSwitch(edge);
  private final List<Instance> instances = new CopyOnWriteArrayList<>();
  private final List<String> steps = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    logs = new Logs(LogSettings.defaults(tmp.resolve("log")));
    launcher = new FixedPorts(new ScriptedLauncher(logs, tmp));
    Path r1 = Files.createDirectories(tmp.resolve("r1"));
    Path config = tmp.resolve("berth.toml");
    Files.writeString(config, APP.formatted(r1));
    release1 = ConfigLoader.load(config).apps().get("shop");
    release2 = ConfigLoader.forRelease(release1, Files.createDirectories(tmp.resolve("r2")));
  }

  @AfterEach
  void tearDown() {
    instances.forEach(instance -> instance.shutdown().join());
    logs.close();
  }

  @Test
  void aDeployStartsWebAndWorkerFirstThenStopsTheOldClockBeforeTheNewOneStarts() {
    List<Instance> old = running(release1);
    List<Instance> fresh = generation(release2);
    GenerationReplacement replacement = replacement(old, fresh, () -> false);

    assertThat(replacement.start("release 2", this::step)).isEmpty();

    List<String> events = launcher.events();
    assertThat(events)
        .containsSubsequence("launch shop.1 r2", "stop shop.clock.1 r1", "launch shop.clock.1 r2")
        .containsSubsequence("launch shop.worker.1 r2", "stop shop.clock.1 r1")
        .doesNotContain("stop shop.1 r1", "stop shop.worker.1 r1");
    assertThat(steps)
        .containsExactly(
            "start: 1 web, 1 worker (start-first); 1 clock (stop-first) (release 2)",
            "swap: shop.clock.1 stopped, then started (stop-first)");
    assertThat(fresh).allMatch(i -> i.state() == Instance.State.RUNNING);
    assertThat(old.get(0).state()).isEqualTo(Instance.State.RUNNING);

    // The switch, then the old web and worker stop: as before, after the new ones serve.
    assertThat(traffic.switchOver(release2, old, fresh)).isEmpty();
    traffic.retire(old, release1.run().drainTimeout(), this::step);
    assertThat(launcher.events().subList(events.size(), launcher.events().size()))
        .containsExactlyInAnyOrder("stop shop.1 r1", "stop shop.worker.1 r1");
    assertThat(launcher.refused()).isEmpty();
  }

  @Test
  void aNewClockThatFailsLeavesTheOldGenerationWholeWithItsClockStartedAgain() {
    List<Instance> old = running(release1);
    Incarnation oldWeb = old.get(0).current().orElseThrow();
    List<Instance> fresh = generation(release2);
    launcher.failReady("shop.clock.1 r2", "shop.clock.1: exited with code 1 before it was ready");

    Optional<String> failed = replacement(old, fresh, () -> false).start("release 2", this::step);

    assertThat(failed)
        .contains(
            "shop.clock.1: exited with code 1 before it was ready\n"
                + "(stop-first: the old shop.clock.1 started again; the old generation runs whole)");
    assertThat(launcher.events())
        .containsSubsequence(
            "stop shop.clock.1 r1",
            "launch shop.clock.1 r2",
            "stop shop.clock.1 r2",
            "launch shop.clock.1 r1")
        .contains("stop shop.1 r2", "stop shop.worker.1 r2")
        .doesNotContain("stop shop.1 r1", "stop shop.worker.1 r1");
    assertThat(steps)
        .containsExactly("start: 1 web, 1 worker (start-first); 1 clock (stop-first) (release 2)");
    assertThat(old).allMatch(i -> i.state() == Instance.State.RUNNING);
    assertThat(old.get(0).current()).containsSame(oldWeb);
    assertThat(fresh).allMatch(i -> i.state() == Instance.State.STOPPED);
    assertThat(launcher.refused()).isEmpty();
  }

  @Test
  void aSwitchRefusedAfterTheSwapStopsTheNewClockBeforeTheOldOneStartsAgain() {
    List<Instance> old = running(release1);
    List<Instance> fresh = generation(release2);
    GenerationReplacement replacement = replacement(old, fresh, () -> false);
    assertThat(replacement.start("release 2", this::step)).isEmpty();
    process(fresh.get(0).current().orElseThrow()).exit(1);
    int before = launcher.events().size();

    assertThat(traffic.switchOver(release2, old, fresh)).isPresent();
    String restored = replacement.undo();

    assertThat(restored).contains("the old shop.clock.1 started again");
    assertThat(launcher.events().subList(before, launcher.events().size()))
        .containsSubsequence("stop shop.clock.1 r2", "launch shop.clock.1 r1");
    assertThat(old).allMatch(i -> i.state() == Instance.State.RUNNING);
    assertThat(launcher.refused()).isEmpty();
  }

  @Test
  void aFailingStartFirstInstanceStopsNothingOld() {
    List<Instance> old = running(release1);
    List<Instance> fresh = generation(release2);
    launcher.failReady("shop.worker.1 r2", "shop.worker.1: exited with code 2 before it was ready");

    Optional<String> failed = replacement(old, fresh, () -> false).start("release 2", this::step);

    assertThat(failed).contains("shop.worker.1: exited with code 2 before it was ready");
    assertThat(launcher.events())
        .doesNotContain("stop shop.1 r1", "stop shop.worker.1 r1", "stop shop.clock.1 r1")
        .noneMatch(e -> e.startsWith("launch shop.clock.1 r2"));
    assertThat(steps).isEmpty();
    assertThat(old).allMatch(i -> i.state() == Instance.State.RUNNING);
    // The new clock was never begun: nothing to shut down.
    instances.remove(fresh.get(2));
  }

  @Test
  void withBerthStoppingNothingOldIsStoppedAndNothingNewStarts() {
    List<Instance> old = running(release1);
    List<Instance> fresh = generation(release2);
    GenerationReplacement replacement =
        new GenerationReplacement(release2, old, fresh, traffic, more -> false, () -> true);

    assertThat(replacement.start("release 2", this::step)).contains("berth is stopping");

    assertThat(launcher.events()).noneMatch(e -> e.endsWith(" r2") || e.startsWith("stop"));
    // Never begun: nothing to shut down.
    instances.removeAll(fresh);
  }

  @Test
  void aRestartOfAStopFirstInstanceStopsItBeforeItStartsAgain() {
    Instance clock = running(release1).get(2);
    List<String> progress = new ArrayList<>();

    assertThat(StopFirstRestart.restart(clock, progress::add)).isEmpty();

    assertThat(launcher.events())
        .containsSubsequence(
            "launch shop.clock.1 r1", "stop shop.clock.1 r1", "launch shop.clock.1 r1");
    assertThat(progress).hasSize(2);
    assertThat(progress.get(0))
        .isEqualTo("shop.clock.1: stopping it, then starting it (stop-first)");
    assertThat(progress.get(1))
        .matches("shop\\.clock\\.1: stopped, then started in \\d+ ms \\(stop-first\\)");
    assertThat(clock.state()).isEqualTo(Instance.State.RUNNING);
    assertThat(clock.restarts()).isEqualTo(1);
    // What start-first did to it: a successor beside the running process cannot bind its port.
    assertThat(clock.replace().join()).get().asString().contains("Address already in use");
    assertThat(launcher.refused()).containsExactly("shop.clock.1 r1");
  }

  // --- helpers

  private void step(String name, String detail, java.time.Duration took) {
    steps.add(name + ": " + detail);
  }

  private GenerationReplacement replacement(
      List<Instance> old, List<Instance> fresh, BooleanSupplier closed) {
    return new GenerationReplacement(release2, old, fresh, traffic, more -> true, closed);
  }

  /** web.1, worker.1 and clock.1 of {@code app}, serving and ready. */
  private List<Instance> running(App app) {
    List<Instance> generation = instances(app, true);
    generation.forEach(i -> assertThat(i.begin().join()).isEmpty());
    return generation;
  }

  /** A deploy's new generation, not begun. */
  private List<Instance> generation(App app) {
    return instances(app, false);
  }

  private List<Instance> instances(App app, boolean serving) {
    List<Instance> generation = new ArrayList<>();
    for (String type : List.of(Instance.WEB, "worker", "clock")) {
      generation.add(
          new Instance(app, type, 1, launcher, traffic.slot(app.name(), 1, serving), ticker));
    }
    instances.addAll(generation);
    return generation;
  }

  /**
   * Notes each launch and stop as "launch shop.clock.1 r2" (the tag, then the release's directory),
   * and refuses to launch a clock while another clock process of the same tag runs ("bind: Address
   * already in use"), as a clock bound to a fixed port would fail.
   */
  private static final class FixedPorts implements Launcher {
    private final ScriptedLauncher inner;
    private final List<String> events = new CopyOnWriteArrayList<>();
    private final List<String> refused = new CopyOnWriteArrayList<>();
    private final Set<Incarnation> launched = ConcurrentHashMap.newKeySet();
    private final java.util.Map<String, String> notReady = new ConcurrentHashMap<>();

    FixedPorts(ScriptedLauncher inner) {
      this.inner = inner;
    }

    /** The process named {@code key} ("shop.clock.1 r2") does not become ready. */
    void failReady(String key, String why) {
      notReady.put(key, why);
    }

    List<String> events() {
      return List.copyOf(events);
    }

    List<String> refused() {
      return List.copyOf(refused);
    }

    @Override
    public Incarnation launch(App app, String type, int number, int generation) throws IOException {
      String key = key(app, Instance.tag(app.name(), type, number));
      if (type.equals("clock")
          && launched.stream()
              .anyMatch(
                  i ->
                      i.tag().equals(Instance.tag(app.name(), type, number))
                          && i.process().isAlive())) {
        refused.add(key);
        throw new IOException("bind: Address already in use");
      }
      Incarnation incarnation = inner.launch(app, type, number, generation);
      launched.add(incarnation);
      events.add("launch " + key);
      return incarnation;
    }

    @Override
    public Optional<String> awaitReady(
        App app, Incarnation incarnation, BooleanSupplier cancelled) {
      String why = notReady.remove(key(app, incarnation.tag()));
      if (why != null) {
        stop(app, incarnation);
        return Optional.of(why);
      }
      return inner.awaitReady(app, incarnation, cancelled);
    }

    @Override
    public Optional<SigKill> stop(App app, Incarnation incarnation) {
      Optional<SigKill> killed = inner.stop(app, incarnation);
      events.add("stop " + key(app, incarnation.tag()));
      return killed;
    }

    @Override
    public void changed() {}

    private static String key(App app, String tag) {
      return tag + " " + app.run().dir().getFileName();
    }
  }
}
