package dev.berth.supervisor;

import static dev.berth.supervisor.ScriptedLauncher.process;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.config.App;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code berth stop/start APP [--type T]} on real instances whose processes are {@link
 * FakeProcess}es: only the named type's instances are acted on, the others keep running, and each
 * instance acted on gets a line saying what became of it.
 */
class SelectionTest {

  @TempDir Path tmp;
  private ShopInstances shop;
  private ScriptedLauncher launcher;
  private FakeTicker ticker;
  private App app;
  private List<Instance> all;
  private final List<String> lines = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    shop =
        new ShopInstances(
            tmp,
            "{ worker = { command = \"work\", instances = 2 }, clock = \"tick\" }",
            "web.1",
            "worker.1",
            "worker.2",
            "clock.1");
    launcher = shop.launcher;
    ticker = shop.ticker;
    app = shop.app;
    all = shop.all;
  }

  @AfterEach
  void tearDown() {
    shop.close();
  }

  @Test
  void aTypeSelectsItsInstancesInOrderAndNoTypeSelectsAll() {
    assertThat(tags(Selection.of("shop", "worker", all)))
        .containsExactly("shop.worker.1", "shop.worker.2");
    assertThat(tags(Selection.of("shop", "web", all))).containsExactly("shop.1");
    assertThat(tags(Selection.of("shop", null, all)))
        .containsExactly("shop.1", "shop.worker.1", "shop.worker.2", "shop.clock.1");
  }

  @Test
  void stoppingATypeStopsOnlyItsInstancesAndKeepsThemStoppedUntilStarted() throws Exception {
    Selection clock = Selection.of("shop", "clock", all);
    Incarnation ticking = clock.instances().get(0).current().orElseThrow();

    clock.stop(lines::add);

    assertThat(lines).containsExactly("shop.clock.1: stopped");
    assertThat(launcher.nextStopped()).isSameAs(ticking);
    assertThat(states()).containsExactly("RUNNING", "RUNNING", "RUNNING", "STOPPED");
    // A restart of the others (or of all) leaves it stopped: it waits for start.
    assertThat(Selection.of("shop", "worker", all).start(lines::add)).isEmpty();
    assertThat(states()).containsExactly("RUNNING", "RUNNING", "RUNNING", "STOPPED");

    lines.clear();
    clock.stop(lines::add);
    assertThat(lines).containsExactly("shop.clock.1: stopped already");

    lines.clear();
    assertThat(Selection.of("shop", null, all).start(lines::add)).isEmpty();
    assertThat(lines)
        .containsExactly(
            "shop.1: running already",
            "shop.worker.1: running already",
            "shop.worker.2: running already",
            "shop.clock.1: started");
    assertThat(states()).containsOnly("RUNNING");
    assertThat(clock.instances().get(0).current()).isPresent().get().isNotSameAs(ticking);
  }

  @Test
  void anInstanceWaitingToBeRestartedIsStoppedAndSaysWhatItWas() throws Exception {
    Instance worker = all.get(2);
    process(worker.current().orElseThrow()).exit(1);
    ticker.nextScheduled(); // its backoff

    Selection.of("shop", "worker", all).stop(lines::add);

    assertThat(lines)
        .containsExactly("shop.worker.1: stopped", "shop.worker.2: stopped (was backoff)");
    assertThat(states()).containsExactly("RUNNING", "STOPPED", "STOPPED", "RUNNING");
  }

  @Test
  void aStartThatFailsIsReturnedNotReported() throws Exception {
    Selection.of("shop", "clock", all).stop(lines::add);
    lines.clear();
    launcher.failNextStarts(1, "shop.clock.1: exited with code 3 before it was ready");

    List<String> failures = Selection.of("shop", null, all).start(lines::add);

    assertThat(failures).containsExactly("shop.clock.1: exited with code 3 before it was ready");
    assertThat(lines)
        .containsExactly(
            "shop.1: running already",
            "shop.worker.1: running already",
            "shop.worker.2: running already");
  }

  @Test
  void aTypeWithNoInstancesSaysSo() {
    List<Instance> none = all.stream().filter(i -> !i.type().equals("clock")).toList();

    Selection.of("shop", "clock", none).reportIfEmpty(lines::add).stop(lines::add);
    Selection.of("shop", "worker", all).reportIfEmpty(lines::add);

    assertThat(lines)
        .containsExactly("shop: no clock instances (berth scale shop clock=N starts some)");
  }

  private static List<String> tags(Selection selection) {
    return selection.instances().stream().map(Instance::tag).toList();
  }

  private List<String> states() {
    return all.stream().map(i -> i.state().name()).toList();
  }
}
