package dev.berth.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.config.App;
import dev.berth.config.ConfigLoader;
import dev.berth.logs.LinePump;
import dev.berth.logs.LogSettings;
import dev.berth.logs.Logs;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stopping a real process tree: one that ignores SIGTERM is killed once its type's stop_timeout is
 * over, and the stop says so; one that exits on SIGTERM needs nothing more.
 */
class ProcessTreeTest {

  private static final String APP =
      """
      [[listeners]]
      address = "127.0.0.1:8080"

      [apps.shop]
      dir = "%s"
      command = "serve"
      stop_timeout = "3s"

      [apps.shop.processes.worker]
      command = "work"
      stop_timeout = "1s"

      [apps.shop.processes.clock]
      command = "tick"
      """;

  @TempDir Path tmp;
  private App app;
  private Logs logs;
  private Process child;

  @BeforeEach
  void setUp() throws Exception {
    Path config = tmp.resolve("berth.toml");
    Files.writeString(config, APP.formatted(tmp));
    app = ConfigLoader.load(config).apps().get("shop");
    logs = new Logs(LogSettings.defaults(tmp.resolve("log")));
  }

  @AfterEach
  void tearDown() {
    if (child != null) {
      child.destroyForcibly();
    }
    logs.close();
  }

  @Test
  void aProcessIgnoringSigtermIsKilledAfterItsTypesStopTimeoutAndTheStopSaysSo() throws Exception {
    child = started("trap '' TERM; echo ready; exec sleep 60");
    Incarnation worker = incarnation("worker", child);
    assertThat(worker.stopTimeout(app)).isEqualTo(Duration.ofSeconds(1));

    Optional<SigKill> killed =
        ProcessTree.stop(worker.tag(), child, worker.started(), worker.stopTimeout(app));

    assertThat(child.isAlive()).isFalse();
    assertThat(killed).isPresent();
    SigKill kill = killed.get();
    assertThat(kill.tag()).isEqualTo("shop.worker.1");
    assertThat(kill.processes()).isEqualTo(1);
    assertThat(kill.grace()).isEqualTo(Duration.ofSeconds(1));
    assertThat(kill.problem())
        .startsWith("shop.worker.1: still running 1s after SIGTERM; killed (SIGKILL) at ")
        .endsWith(" UTC");
    assertThat(kill.brief()).isEqualTo("shop.worker.1 killed 1s after SIGTERM");
  }

  @Test
  void aProcessThatExitsOnSigtermIsNotKilled() throws Exception {
    child = started("echo ready; exec sleep 60");

    Optional<SigKill> killed =
        ProcessTree.stop(
            "shop.worker.1",
            child,
            child.toHandle().info().startInstant().orElseThrow(),
            seconds(30));

    assertThat(killed).isEmpty();
    assertThat(child.isAlive()).isFalse();
  }

  @Test
  void eachTypeStopsWithItsOwnStopTimeout() throws Exception {
    FakeProcess process = new FakeProcess();
    assertThat(fake("worker", process).stopTimeout(app)).isEqualTo(seconds(1));
    assertThat(fake("web", process).stopTimeout(app)).isEqualTo(seconds(3));
    // Not written: a type that is not web gets Heroku's 30 seconds at least.
    assertThat(fake("clock", process).stopTimeout(app)).isEqualTo(seconds(30));
    // No type (a release phase): the app's.
    assertThat(fake(null, process).stopTimeout(app)).isEqualTo(seconds(3));
    process.exit(0);
  }

  @Test
  void aKillSaysHowManyProcessesAndTheGraceAsWritten() {
    SigKill kill =
        new SigKill("shop.1", 2, Duration.ofMillis(2500), Instant.parse("2026-12-07T09:05:01Z"));
    assertThat(kill.problem())
        .isEqualTo(
            "shop.1: 2 processes still running 2.5s after SIGTERM; killed (SIGKILL) at 09:05:01 UTC");
    assertThat(kill.brief()).isEqualTo("shop.1 killed 2.5s after SIGTERM");
  }

  /** {@code sh -c script}, once it said "ready" (its trap is set by then). */
  private static Process started(String script) throws Exception {
    Process process = new ProcessBuilder("sh", "-c", script).redirectErrorStream(true).start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    assertThat(out.readLine()).isEqualTo("ready");
    return process;
  }

  private Incarnation incarnation(String type, Process process) {
    return new Incarnation(
        Instance.tag("shop", type, 1),
        type,
        null,
        process,
        LinePump.start(type, process.getInputStream(), logs.stream("shop")));
  }

  private Incarnation fake(String type, FakeProcess process) {
    return new Incarnation(
        "shop.x.1",
        type,
        null,
        process,
        LinePump.start("x", process.getInputStream(), logs.stream("shop")),
        Instant.EPOCH);
  }

  private static Duration seconds(long n) {
    return Duration.ofSeconds(n);
  }
}
