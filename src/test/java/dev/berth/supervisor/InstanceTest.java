package dev.berth.supervisor;

import static dev.berth.supervisor.ScriptedLauncher.process;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.config.App;
import dev.berth.config.ConfigLoader;
import dev.berth.logs.LogSettings;
import dev.berth.logs.Logs;
import dev.berth.testing.Await;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One instance's state machine, in-process: its processes are {@link FakeProcess}es from a {@link
 * ScriptedLauncher}, its time a {@link FakeTicker} (backoffs end when the test advances it), its
 * edge a {@link RecordingListener}. No process is started and nothing waits on the clock.
 */
class InstanceTest {

  /** max_restarts = 2 within restart_window = 60s: the third failure in a minute is FATAL. */
  private static final String APP =
      """
      [[listeners]]
      address = "127.0.0.1:8080"

      [apps.web]
      dir = "%s"
      command = "serve"
      max_restarts = 2
      restart_window = "60s"
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
  void aStartedInstanceIsRunningAndRouted() throws Exception {
    Instance web = instance();

    assertThat(web.begin().join()).isEmpty();

    assertThat(web.state()).isEqualTo(Instance.State.RUNNING);
    assertThat(edge.next()).isEqualTo("ready web.1-1");
    assertThat(web.current()).containsSame(launcher.nextLaunched());
    assertThat(web.restarts()).isZero();
  }

  @Test
  void anUnexpectedExitIsRestartedAfterABackoff() throws Exception {
    Instance web = started();
    Incarnation first = web.current().orElseThrow();

    process(first).exit(3);

    assertThat(ticker.nextScheduled()).isBetween(ms(800), ms(1200));
    assertThat(web.state()).isEqualTo(Instance.State.BACKOFF);
    assertThat(web.current()).isEmpty();
    assertThat(edge.next()).isEqualTo("withdraw web.1-1");
    assertThat(launcher.nextStopped()).isSameAs(first);
    assertThat(web.lastProblem()).isEqualTo("web.1: exited unexpectedly with code 3");
    assertThat(launcher.launches()).isEqualTo(1);

    ticker.advance(Duration.ofSeconds(2));

    Incarnation second = launcher.nextLaunched();
    assertThat(edge.next()).isEqualTo("ready web.1-2");
    Await.until("web.1 running again", () -> web.state() == Instance.State.RUNNING);
    assertThat(web.current()).containsSame(second);
    assertThat(web.restarts()).isEqualTo(1);
  }

  @Test
  void aReplaceWhoseOldProcessNeededSigkillMakesItTheLastProblemAndACleanOneKeepsIt()
      throws Exception {
    Instance web = started();
    launcher.killNextStop(Duration.ofSeconds(30));

    assertThat(web.replace().join()).isEmpty();

    String killed = "web.1: still running 30s after SIGTERM; killed (SIGKILL) at 21:40:12 UTC";
    assertThat(web.state()).isEqualTo(Instance.State.RUNNING);
    assertThat(web.lastProblem()).isEqualTo(killed);
    SigKill kill = web.lastKill();
    assertThat(kill.tag()).isEqualTo("web.1");

    // A later clean stop and start: nothing new went wrong, so the kill is still the last problem.
    assertThat(web.replace().join()).isEmpty();
    assertThat(web.lastProblem()).isEqualTo(killed);
    assertThat(web.lastKill()).isSameAs(kill);
  }

  @Test
  void aStopThatNeededSigkillIsTheLastProblemOfTheStoppedInstance() throws Exception {
    Instance web = started();
    StopKills kills = StopKills.watch(List.of(web));
    launcher.killNextStop(Duration.ofMillis(1500));

    web.stop().join();

    assertThat(web.state()).isEqualTo(Instance.State.STOPPED);
    assertThat(web.lastProblem())
        .isEqualTo("web.1: still running 1.5s after SIGTERM; killed (SIGKILL) at 21:40:12 UTC");
    assertThat(kills.since()).containsExactly(web.lastKill());
    List<String> progress = new ArrayList<>();
    kills.report(progress::add);
    assertThat(progress).containsExactly(web.lastProblem());
    // A watch begun after the kill does not tell it again.
    assertThat(StopKills.watch(List.of(web)).since()).isEmpty();
  }

  @Test
  void eachFailureInARowDoublesTheBackoff() throws Exception {
    Instance web = started();

    process(web.current().orElseThrow()).exit(1);
    assertThat(ticker.nextScheduled()).isBetween(ms(800), ms(1200));
    launcher.failNextStarts(1, "web.1: not answering HTTP");
    ticker.advance(Duration.ofSeconds(2));

    assertThat(ticker.nextScheduled()).isBetween(ms(1600), ms(2400));
    assertThat(web.state()).isEqualTo(Instance.State.BACKOFF);
    assertThat(web.lastProblem()).isEqualTo("web.1: not answering HTTP");
  }

  @Test
  void moreThanMaxRestartsFailuresWithinTheWindowLeaveItFatalUntilStarted() throws Exception {
    Instance web = started();

    process(web.current().orElseThrow()).exit(1); // failure 1
    ticker.advance(ticker.nextScheduled());
    process(launcher.nextLaunched()).exit(1); // failure 2
    ticker.advance(ticker.nextScheduled());
    Incarnation third = launcher.nextLaunched();
    Await.until("web.1 running", () -> web.current().isPresent());
    process(third).exit(1); // failure 3 > max_restarts 2, all within a few seconds

    Await.until("web.1 FATAL", () -> web.state() == Instance.State.FATAL);
    assertThat(ticker.pending()).isZero();
    assertThat(launcher.launches()).isEqualTo(3);
    assertThat(web.restarts()).isEqualTo(2);

    assertThat(web.start().join()).isEmpty();
    assertThat(web.state()).isEqualTo(Instance.State.RUNNING);
    assertThat(launcher.launches()).isEqualTo(4);
  }

  @Test
  void failuresOlderThanTheWindowNoLongerCount() throws Exception {
    Instance web = started();

    process(web.current().orElseThrow()).exit(1);
    ticker.advance(ticker.nextScheduled());
    process(launcher.nextLaunched()).exit(1);
    ticker.advance(ticker.nextScheduled());
    Incarnation third = launcher.nextLaunched();
    Await.until("web.1 running", () -> web.current().isPresent());

    ticker.advance(Duration.ofSeconds(61));
    process(third).exit(1);

    ticker.nextScheduled();
    assertThat(web.state()).isEqualTo(Instance.State.BACKOFF);
  }

  @Test
  void aFailedFirstStartIsReportedAndRetriedAfterABackoff() throws Exception {
    launcher.failNextStarts(1, "web.1: exited with code 1 before it was ready");
    Instance web = instance();

    assertThat(web.begin().join()).contains("web.1: exited with code 1 before it was ready");
    assertThat(ticker.nextScheduled()).isBetween(ms(800), ms(1200));
    assertThat(web.state()).isEqualTo(Instance.State.BACKOFF);
    assertThat(edge.taken()).isEmpty();

    ticker.advance(Duration.ofSeconds(2));

    assertThat(edge.next()).isEqualTo("ready web.1-2");
    Await.until("web.1 running", () -> web.state() == Instance.State.RUNNING);
  }

  @Test
  void aStoppedInstanceStaysStoppedUntilStarted() throws Exception {
    Instance web = started();
    Incarnation first = web.current().orElseThrow();

    web.stop().join();

    assertThat(web.state()).isEqualTo(Instance.State.STOPPED);
    assertThat(web.current()).isEmpty();
    assertThat(edge.next()).isEqualTo("withdraw web.1-1");
    assertThat(launcher.nextStopped()).isSameAs(first);
    assertThat(first.process().isAlive()).isFalse();
    assertThat(ticker.pending()).isZero();

    assertThat(web.start().join()).isEmpty();
    assertThat(web.state()).isEqualTo(Instance.State.RUNNING);
    assertThat(edge.next()).isEqualTo("ready web.1-2");
  }

  @Test
  void aStopDuringABackoffCancelsTheRestart() throws Exception {
    Instance web = started();
    process(web.current().orElseThrow()).exit(1);
    ticker.nextScheduled();

    web.stop().join();
    ticker.advance(Duration.ofMinutes(2));

    // The backoff's end reached the instance before this start, and changed nothing.
    assertThat(web.start().join()).isEmpty();
    assertThat(launcher.launches()).isEqualTo(2);
    assertThat(web.state()).isEqualTo(Instance.State.RUNNING);
  }

  @Test
  void replaceRoutesTheSuccessorBeforeTheOldOneLeavesAndStops() throws Exception {
    Instance web = started();
    Incarnation first = web.current().orElseThrow();

    assertThat(web.replace().join()).isEmpty();

    Incarnation second = launcher.nextLaunched();
    assertThat(edge.next()).isEqualTo("ready web.1-2");
    assertThat(edge.next()).isEqualTo("withdraw web.1-1");
    assertThat(launcher.nextStopped()).isSameAs(first);
    assertThat(web.current()).containsSame(second);
    assertThat(web.state()).isEqualTo(Instance.State.RUNNING);
    assertThat(web.restarts()).isEqualTo(1);
  }

  @Test
  void aFailedReplaceLeavesTheOldOneServing() throws Exception {
    Instance web = started();
    Incarnation first = web.current().orElseThrow();
    launcher.failNextStarts(1, "web.1: not answering HTTP");

    assertThat(web.replace().join()).contains("web.1: not answering HTTP");

    assertThat(web.current()).containsSame(first);
    assertThat(first.process().isAlive()).isTrue();
    assertThat(web.state()).isEqualTo(Instance.State.RUNNING);
    assertThat(edge.taken()).isEmpty();
  }

  @Test
  void afterShutdownEveryRequestIsAnsweredAtOnce() throws Exception {
    Instance web = started();
    Incarnation first = web.current().orElseThrow();

    web.shutdown().join();

    assertThat(first.process().isAlive()).isFalse();
    assertThat(web.state()).isEqualTo(Instance.State.STOPPED);
    assertThat(web.start().join()).contains("web.1: berth is stopping");
    assertThat(web.replace().join()).contains("web.1: berth is stopping");
  }

  /** A running instance, its launch and its entry in the rotation read. */
  private Instance started() throws InterruptedException {
    Instance web = instance();
    assertThat(web.begin().join()).isEmpty();
    assertThat(launcher.nextLaunched()).isSameAs(web.current().orElseThrow());
    assertThat(edge.next()).isEqualTo("ready web.1-1");
    return web;
  }

  private Instance instance() {
    Instance web =
        new Instance(app, Instance.WEB, 1, launcher, traffic.slot("web", 1, true), ticker);
    instances.add(web);
    return web;
  }

  private static Duration ms(long millis) {
    return Duration.ofMillis(millis);
  }
}
