package dev.berth.supervisor;

import static java.util.Objects.requireNonNull;

import dev.berth.config.App;
import dev.berth.config.ProbeRequest;
import dev.berth.config.UserAccount;
import dev.berth.logs.LinePump;
import dev.berth.logs.Logs;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;

/**
 * The real {@link Launcher}: starts an instance's command ({@link AppCommand}) as the app's user
 * ({@link AppUser}) with its environment ({@link AppEnvironment}) on an endpoint of its own ({@link
 * Endpoints}), copies its output into the app's log, polls it until ready ({@link ReadinessProbe}),
 * and stops its whole tree ({@link ProcessTree#stop}). Every process it started is in the state
 * file until it is stopped.
 */
final class ProcessLauncher implements Launcher {

  private static final Duration READY_POLL = Duration.ofMillis(50);
  private static final Duration WORKER_SETTLE = Duration.ofSeconds(1);

  private final Endpoints endpoints;
  private final RunningProcesses running;
  private final Logs logs;
  private final PrintStream output;
  private final AppDataDir dataDirs;
  private final Overrides overrides;
  private final BiConsumer<String, String> appLog;

  /** Whom each app runs as, looked up (getent) at its first start, not at every restart. */
  private final Map<App, Optional<UserAccount>> accounts = new ConcurrentHashMap<>();

  /** Set once berth is stopping: nothing starts after that, and a start under way is cancelled. */
  private volatile boolean closed;

  /**
   * @param output berth's own output, where the lines are copied too (null: not copied)
   * @param overrides what {@code berth env set} stored, read at each start
   * @param appLog writes a line from berth into an app's log: (app, line)
   */
  ProcessLauncher(
      Endpoints endpoints,
      AppDataDir dataDirs,
      RunningProcesses running,
      Logs logs,
      PrintStream output,
      Overrides overrides,
      BiConsumer<String, String> appLog) {
    this.endpoints = requireNonNull(endpoints, "endpoints");
    this.dataDirs = requireNonNull(dataDirs, "dataDirs");
    this.running = requireNonNull(running, "running");
    this.logs = requireNonNull(logs, "logs");
    this.output = output;
    this.overrides = requireNonNull(overrides, "overrides");
    this.appLog = requireNonNull(appLog, "appLog");
  }

  /** Berth is stopping: launches fail from now on, and waits for readiness end. */
  void close() {
    closed = true;
  }

  @Override
  public Incarnation launch(App app, String type, int number, int generation) throws IOException {
    if (closed) {
      throw new IOException("berth is stopping");
    }
    String tag = Instance.tag(app.name(), type, number);
    Optional<UserAccount> runAs = accounts.get(app);
    if (runAs == null) {
      runAs = AppUser.of(app);
      accounts.put(app, runAs);
    }
    Endpoint endpoint = type.equals(Instance.WEB) ? endpoints.allocate(app, number, runAs) : null;
    Process process;
    try {
      process = builder(app, type, number, endpoint, runAs).start();
    } catch (IOException | RuntimeException e) {
      endpoints.release(endpoint);
      throw e;
    }
    LinePump pump =
        LinePump.start(
            tag,
            process.getInputStream(),
            logs.stream(app.name()),
            app.run().logRateLimit(),
            output);
    Incarnation incarnation = new Incarnation(tag, type, endpoint, process, pump);
    running.add(incarnation);
    changed();
    return incarnation;
  }

  /** The process of instance {@code number} of {@code type}: its command line and environment. */
  private ProcessBuilder builder(
      App app, String type, int number, Endpoint endpoint, Optional<UserAccount> runAs)
      throws IOException {
    String line = AppCommand.shellLine(AppCommand.commandOf(app, type));
    ProcessBuilder builder = AppCommand.builder(app, AppCommand.argv(runAs, line));
    AppEnvironment.apply(builder.environment(), app, overrides.env(app.name()), runAs);
    dataDirs.prepare(app.name(), runAs, builder.environment());
    AppEnvironment.instance(builder.environment(), type, number, endpoint);
    return builder;
  }

  @Override
  public Optional<String> awaitReady(App app, Incarnation incarnation, BooleanSupplier cancelled) {
    if (incarnation.endpoint() == null) {
      return awaitReady(app, incarnation, cancelled, null);
    }
    try (ReadinessProbe probe = new ReadinessProbe(incarnation.endpoint(), ProbeRequest.of(app))) {
      return awaitReady(app, incarnation, cancelled, probe);
    }
  }

  /**
   * Polls until it answers HTTP (see {@link ReadinessProbe}), exits, is cancelled or times out;
   * without a probe (a worker), until it has run for a moment.
   */
  private Optional<String> awaitReady(
      App app, Incarnation incarnation, BooleanSupplier cancelled, ReadinessProbe probe) {
    String tag = incarnation.tag();
    Process process = incarnation.process();
    long deadline = System.nanoTime() + app.run().startTimeout().toNanos();
    if (incarnation.endpoint() == null) {
      // A worker has nothing to connect to: it is started once it has not exited for a moment.
      deadline =
          System.nanoTime() + Math.min(WORKER_SETTLE.toNanos(), app.run().startTimeout().toNanos());
    }
    while (true) {
      if (!process.isAlive()) {
        forget(incarnation);
        return Optional.of(
            Instance.withOutput(
                incarnation,
                tag + ": exited with code " + process.exitValue() + " before it was ready"));
      }
      if (cancelled.getAsBoolean() || closed) {
        Optional<SigKill> killed = stop(app, incarnation);
        return Optional.of(
            tag
                + ": stopped before it was ready"
                + killed
                    .map(k -> " (killed " + SigKill.seconds(k.grace()) + " after SIGTERM)")
                    .orElse(""));
      }
      if (probe == null) {
        if (System.nanoTime() > deadline) {
          return Optional.empty();
        }
        sleep(READY_POLL);
        continue;
      }
      if (probe.answered(READY_POLL)) {
        return Optional.empty();
      }
      if (System.nanoTime() > deadline) {
        stop(app, incarnation);
        if (probe.lastRefusal() != null) {
          return Optional.of(
              Instance.withOutput(
                  incarnation,
                  tag
                      + ": not ready within "
                      + app.run().startTimeout().toSeconds()
                      + "s: "
                      + probe.lastRefusal()));
        }
        return Optional.of(
            Instance.withOutput(
                incarnation,
                tag
                    + ": "
                    + notReady(probe)
                    + " on "
                    + incarnation.endpoint()
                    + " after "
                    + app.run().startTimeout().toSeconds()
                    + "s"));
      }
    }
  }

  private static String notReady(ReadinessProbe probe) {
    return probe.connected() ? "not answering HTTP" : "not accepting connections";
  }

  @Override
  public Optional<SigKill> stop(App app, Incarnation incarnation) {
    incarnation.markStopping();
    incarnation.withdraw();
    Optional<SigKill> killed =
        ProcessTree.stop(
            incarnation.tag(),
            incarnation.process(),
            incarnation.started(),
            incarnation.stopTimeout(app));
    forget(incarnation);
    // Where `berth logs APP` shows it: berth.log's warning alone went unseen.
    killed.ifPresent(kill -> appLog.accept(app.name(), kill.problem()));
    return killed;
  }

  @Override
  public void changed() {
    running.write();
  }

  private void forget(Incarnation incarnation) {
    endpoints.release(incarnation.endpoint());
    running.remove(incarnation);
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
