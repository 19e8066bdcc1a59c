package dev.berth.supervisor;

import static java.util.Objects.requireNonNull;

import dev.berth.config.App;
import dev.berth.config.UserAccount;
import dev.berth.logs.LinePump;
import dev.berth.logs.Logs;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Runs a deploy's build and release commands, once each, as the app's processes run: in the app's
 * dir, as its user, with its environment, in a session and process group of their own, recorded in
 * the state file meanwhile.
 */
final class PhaseRunner {

  private static final Duration OUTPUT_END = Duration.ofSeconds(2);

  private final AppDataDir dataDirs;
  private final RunningProcesses running;
  private final Logs logs;
  private final PrintStream console;
  private final Overrides overrides;

  /** Phases running now, with their app (for its stop timeout): {@link #stopAll} ends them. */
  private final Map<Incarnation, App> phases = new ConcurrentHashMap<>();

  private volatile boolean closed;

  /**
   * @param console berth's own output, where the lines are copied too (null: not copied)
   * @param overrides what {@code berth env set} stored
   */
  PhaseRunner(
      AppDataDir dataDirs,
      RunningProcesses running,
      Logs logs,
      PrintStream console,
      Overrides overrides) {
    this.dataDirs = requireNonNull(dataDirs, "dataDirs");
    this.running = requireNonNull(running, "running");
    this.logs = requireNonNull(logs, "logs");
    this.console = console;
    this.overrides = requireNonNull(overrides, "overrides");
  }

  /**
   * Runs {@code command}. Its lines go to the app's log (source {@code phase}), to the console and
   * to {@code output}. At its timeout, or when berth stops, its whole tree is ended; so is what it
   * left in its group when it exits.
   *
   * @param phase "build" or "release"
   * @param extra variables added to the app's environment (BERTH_RELEASE)
   */
  PhaseResult run(
      App app,
      String phase,
      String command,
      Duration timeout,
      Map<String, String> extra,
      Consumer<String> output)
      throws IOException {
    requireNonNull(output, "output");
    if (closed) {
      throw new IOException("berth is stopping");
    }
    Optional<UserAccount> runAs = AppUser.of(app);
    ProcessBuilder builder = AppCommand.builder(app, AppCommand.argv(runAs, command));
    AppEnvironment.apply(builder.environment(), app, overrides.env(app.name()), runAs);
    dataDirs.prepare(app.name(), runAs, builder.environment());
    AppEnvironment.phase(builder.environment(), phase, extra);
    long begun = System.nanoTime();
    Process process = builder.start();
    String tag = app.name() + "." + phase;
    LinePump pump =
        LinePump.start(
            phase,
            process.getInputStream(),
            logs.stream(app.name()),
            line -> {
              if (console != null) {
                console.println(tag + " | " + line);
              }
              output.accept(line);
            });
    Incarnation incarnation = new Incarnation(tag, null, process, pump);
    phases.put(incarnation, app);
    running.add(incarnation);
    running.write();
    try {
      boolean exited;
      try {
        exited = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        exited = false;
      }
      // What it left in its group (a daemonized child) goes with it; at the timeout, all of it.
      if (!exited || !ProcessTree.leftovers(process.pid(), incarnation.started()).isEmpty()) {
        stop(incarnation, app);
      }
      pump.awaitEnd(OUTPUT_END);
      return new PhaseResult(
          exited ? process.exitValue() : null,
          Duration.ofNanos(System.nanoTime() - begun),
          pump.lastLines());
    } finally {
      phases.remove(incarnation);
      running.remove(incarnation);
      running.write();
    }
  }

  /** Berth is stopping: no phase starts from now on; those running are ended, in parallel. */
  List<CompletableFuture<Void>> stopAll() {
    closed = true;
    return phases.entrySet().stream()
        .map(
            phase ->
                CompletableFuture.runAsync(
                    () -> stop(phase.getKey(), phase.getValue()), r -> Thread.ofVirtual().start(r)))
        .toList();
  }

  private static void stop(Incarnation phase, App app) {
    ProcessTree.stop(phase.tag(), phase.process(), phase.started(), app.run().stopTimeout());
  }
}
