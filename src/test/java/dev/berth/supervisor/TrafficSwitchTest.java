package dev.berth.supervisor;

import static dev.berth.supervisor.ScriptedLauncher.process;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.config.App;
import dev.berth.config.ConfigLoader;
import dev.berth.logs.LogSettings;
import dev.berth.logs.Logs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A deploy's switch between two generations of one instance (web.1), in-process, with the fakes of
 * {@link InstanceTest}: the new generation waits on standby, the switch hands the traffic over in
 * one step, and an instance that restarts afterwards lands where its generation now is.
 */
class TrafficSwitchTest {

  private static final String APP =
      """
      [[listeners]]
      address = "127.0.0.1:8080"

      [apps.web]
      dir = "%s"
      command = "serve"
      drain_timeout = "1s"
      """;

  @TempDir Path tmp;
  private Logs logs;
  private App app;
  private ScriptedLauncher launcher;
  private final FakeTicker ticker = new FakeTicker();
  private final RecordingListener edge = new RecordingListener();
  private final TrafficSwitch traffic = new TrafficSwitch(edge);
  private final List<Instance> instances = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    logs = new Logs(LogSettings.defaults(tmp.resolve("log")));
    launcher = new ScriptedLauncher(logs, tmp);
    Path config = tmp.resolve("berth.toml");
    Files.writeString(config, APP.formatted(tmp));
    app = ConfigLoader.load(config).apps().get("web");
  }

  @AfterEach
  void tearDown() {
    instances.forEach(instance -> instance.shutdown().join());
    logs.close();
  }

  @Test
  void theNewGenerationWaitsOnStandbyAndTheSwitchGivesItAllTheTraffic() throws Exception {
    Instance old = begun(true);
    assertThat(edge.next()).isEqualTo("ready web.1-1");
    Instance fresh = begun(false);
    assertThat(edge.next()).isEqualTo("standby web.1-2");

    assertThat(traffic.switchOver(app, List.of(old), List.of(fresh))).isEmpty();

    assertThat(edge.next()).isEqualTo("switch web.1-2");
    assertThat(edge.taken()).isEmpty();
  }

  @Test
  void afterTheSwitchAnOldInstanceThatRestartsStaysOutOfRotationAndANewOneIsIn() throws Exception {
    Instance old = begun(true);
    Instance fresh = begun(false);
    traffic.switchOver(app, List.of(old), List.of(fresh));
    assertThat(edge.taken()).containsExactly("ready web.1-1", "standby web.1-2", "switch web.1-2");
    edge.next();
    edge.next();
    edge.next();

    process(old.current().orElseThrow()).exit(1);
    assertThat(edge.next()).isEqualTo("withdraw web.1-1");
    ticker.advance(ticker.nextScheduled());
    assertThat(edge.next()).isEqualTo("standby web.1-3");

    process(fresh.current().orElseThrow()).exit(1);
    assertThat(edge.next()).isEqualTo("withdraw web.1-2");
    ticker.advance(ticker.nextScheduled());
    assertThat(edge.next()).isEqualTo("ready web.1-4");
  }

  @Test
  void aNewInstanceThatExitedBeforeTheSwitchMakesItRefuseAndNothingChanges() throws Exception {
    Instance old = begun(true);
    Instance fresh = begun(false);
    process(fresh.current().orElseThrow()).exit(1);
    ticker.nextScheduled(); // in backoff

    assertThat(traffic.switchOver(app, List.of(old), List.of(fresh)))
        .contains("web.1: exited before the switch: web.1: exited unexpectedly with code 1");

    assertThat(edge.taken())
        .containsExactly("ready web.1-1", "standby web.1-2", "withdraw web.1-2");
    // The old generation still serves: its successor joins the rotation.
    assertThat(old.replace().join()).isEmpty();
    assertThat(edge.taken()).contains("ready web.1-3");
  }

  @Test
  void theAppsFilesComeFromTheFirstGenerationsReleaseThenFromEachSwitchesAndNotFromARefusedOne()
      throws Exception {
    traffic.firstGeneration(app);
    assertThat(edge.release()).isEqualTo(tmp);
    Instance old = begun(true);
    Instance fresh = begun(false);
    App release2 = ConfigLoader.forRelease(app, Files.createDirectories(tmp.resolve("r2")));

    assertThat(traffic.switchOver(release2, List.of(old), List.of(fresh))).isEmpty();
    assertThat(edge.release()).as("with the peers, in one call").isEqualTo(tmp.resolve("r2"));

    Instance refused = begun(false);
    process(refused.current().orElseThrow()).exit(1);
    ticker.nextScheduled();
    App release3 = ConfigLoader.forRelease(app, Files.createDirectories(tmp.resolve("r3")));
    assertThat(traffic.switchOver(release3, List.of(fresh), List.of(refused))).isPresent();
    assertThat(edge.release()).isEqualTo(tmp.resolve("r2"));
  }

  @Test
  void retireDrainsAndStopsTheOldGenerationAndAbandonStopsANewOne() throws Exception {
    Instance old = begun(true);
    Instance fresh = begun(false);
    Incarnation oldProcess = old.current().orElseThrow();
    Incarnation freshProcess = fresh.current().orElseThrow();
    List<String> steps = new CopyOnWriteArrayList<>();

    traffic.retire(
        List.of(old),
        app.run().drainTimeout(),
        (name, detail, took) -> steps.add(name + ": " + detail));
    traffic.abandon(List.of(fresh));

    assertThat(steps)
        .containsExactly(
            "drain: old generation (0 in flight)", "stop: old generation (1 instance)");
    assertThat(old.state()).isEqualTo(Instance.State.STOPPED);
    assertThat(fresh.state()).isEqualTo(Instance.State.STOPPED);
    assertThat(oldProcess.process().isAlive()).isFalse();
    assertThat(freshProcess.process().isAlive()).isFalse();
  }

  @Test
  void theStopStepNamesTheOldInstancesThatNeededSigkillAndReturnsThem() throws Exception {
    Instance old = begun(true);
    Instance fresh = begun(false);
    traffic.switchOver(app, List.of(old), List.of(fresh));
    List<String> steps = new CopyOnWriteArrayList<>();
    launcher.killNextStop(Duration.ofSeconds(30));

    List<SigKill> killed =
        traffic.retire(
            List.of(old),
            app.run().drainTimeout(),
            (name, detail, took) -> steps.add(name + ": " + detail));

    assertThat(steps)
        .containsExactly(
            "drain: old generation (0 in flight)",
            "stop: old generation (1 instance; web.1 killed 30s after SIGTERM)");
    assertThat(killed).singleElement().isSameAs(old.lastKill());
    assertThat(old.lastProblem())
        .isEqualTo("web.1: still running 30s after SIGTERM; killed (SIGKILL) at 21:40:12 UTC");

    // berth status lists the new generation only: its web.1 shows the kill.
    assertThat(fresh.lastProblem()).isNull();
    StopKills.handOver(killed, List.of(fresh));
    assertThat(fresh.lastProblem()).isEqualTo(old.lastProblem());
    assertThat(fresh.state()).isEqualTo(Instance.State.RUNNING);
  }

  @Test
  void theDrainSaysWhatBecameOfEachRequestInFlightAndTheOnesStillRunningAfterTheStop()
      throws Exception {
    Instance old = begun(true);
    Instance fresh = begun(false);
    traffic.switchOver(app, List.of(old), List.of(fresh));
    edge.tallies(
        // The drain's end: one finished, one still running (so the drain waits its 1s).
        new InstanceListener.Tally(
            1, List.of(ended("GET /a", "finished 200", null, "finished", 3.2)), Map.of()),
        // After the stop: the slow one finished after all; and one cut by the app.
        new InstanceListener.Tally(
            0,
            List.of(
                ended("GET /slow", "finished 200", null, "finished", 40.2),
                ended(
                    "POST /upload",
                    "cut before answering, the client got 502",
                    "the app closed the connection",
                    "cut",
                    12.0)),
            Map.of("finished", 2)));
    List<String> steps = new CopyOnWriteArrayList<>();

    traffic.retire(
        List.of(old),
        app.run().drainTimeout(),
        (name, detail, took) -> steps.add(name + ": " + detail));
    traffic.abandon(List.of(fresh));

    assertThat(steps)
        .containsExactly(
            "drain: old generation (2 in flight: 1 finished, 1 still running at drain_timeout 1s)",
            "stop: old generation (1 instance)",
            "drain: web.1 GET /slow: finished 200 after SIGTERM (40.2s)",
            "drain: web.1 POST /upload: cut before answering, the client got 502: the app closed"
                + " the connection after SIGTERM (12.0s)",
            "drain: and 2 more: 2 finished");
    assertThat(edge.taken()).contains("unwatch web.1-1");
  }

  @Test
  void aRestartsDrainTellsBerthsLogWhatBecameOfTheRequestsStillRunningAtItsEnd() throws Exception {
    Instance web = begun(true);
    edge.tallies(
        new InstanceListener.Tally(1, List.of(), Map.of()),
        new InstanceListener.Tally(
            0, List.of(ended("GET /slow", "finished 200", null, "finished", 40.2)), Map.of()));
    List<String> logged = new CopyOnWriteArrayList<>();
    java.util.logging.Logger log = java.util.logging.Logger.getLogger(DrainReport.class.getName());
    java.util.logging.Handler handler =
        new java.util.logging.Handler() {
          @Override
          public void publish(java.util.logging.LogRecord record) {
            logged.add(new java.util.logging.SimpleFormatter().formatMessage(record));
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    log.addHandler(handler);
    try {
      assertThat(web.replace().join()).isEmpty();
    } finally {
      log.removeHandler(handler);
    }

    assertThat(logged)
        .containsExactly(
            "web.1: drain (1 in flight: 1 still running at drain_timeout 1s); after the stop:"
                + " web.1 GET /slow: finished 200 after SIGTERM (40.2s)");
  }

  static InstanceListener.Ended ended(
      String request, String outcome, String why, String tally, double seconds) {
    return new InstanceListener.Ended(
        request,
        outcome,
        why,
        why != null,
        tally,
        Duration.ofMillis(Math.round(seconds * 1000)),
        0);
  }

  /** Instance web.1 of a generation, started and ready. */
  private Instance begun(boolean serving) {
    Instance instance =
        new Instance(app, Instance.WEB, 1, launcher, traffic.slot("web", 1, serving), ticker);
    instances.add(instance);
    assertThat(instance.begin().join()).isEmpty();
    return instance;
  }
}
