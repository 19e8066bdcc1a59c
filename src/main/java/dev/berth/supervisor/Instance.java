package dev.berth.supervisor;

import static java.util.Objects.requireNonNull;

import dev.berth.config.App;
import dev.berth.logs.LastOutput;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One instance of an app (say web.2) over its whole life: <b>where a process is restarted</b>. A
 * virtual thread per instance runs the loop below and alone changes its state; requests from
 * outside (stop, start, rolling replace), process exits and the end of a backoff arrive as events
 * on its queue, so no two of them ever race. Processes are started and stopped by its {@link
 * Launcher}; a ready one joins the rotation through its {@link TrafficSwitch.Slot}.
 *
 * <pre>
 * STARTING -> RUNNING -(unexpected exit)-> BACKOFF -> STARTING ...
 *          \-(failed to start)-----------/        \-> FATAL (too many exits within the window)
 * any -(stop)-> STOPPED -(start)-> STARTING
 * </pre>
 */
final class Instance {

  private static final System.Logger LOG = System.getLogger(Instance.class.getName());
  private static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(60);
  private static final Duration DRAIN_POLL = Duration.ofMillis(20);

  /** What an instance is doing, as {@code berth status} shows it. */
  enum State {
    STARTING,
    RUNNING,
    BACKOFF,
    FATAL,
    STOPPING,
    STOPPED
  }

  private sealed interface Event {}

  private record Exited(Incarnation incarnation) implements Event {}

  private record Stop(CompletableFuture<Void> done) implements Event {}

  private record Start(CompletableFuture<Optional<String>> done) implements Event {}

  private record Replace(CompletableFuture<Optional<String>> done) implements Event {}

  /**
   * @param drained its requests were drained already (a deploy's retire): no second wait
   */
  private record Shutdown(CompletableFuture<Void> done, boolean drained) implements Event {}

  /** The backoff that began at the {@code failures}-th failure is over. */
  private record BackoffOver(int failures) implements Event {}

  /** The type of the routed process, whose instances are tagged app.N; others are app.type.N. */
  static final String WEB = "web";

  private final App app;
  private final String type;
  private final int number;
  private final Launcher launcher;
  private final TrafficSwitch.Slot slot;
  private final Ticker ticker;
  private final LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();

  /** Times of recent unexpected exits and failed starts, oldest first, within the window. */
  private final ArrayDeque<Long> failures = new ArrayDeque<>();

  /** Failures counted so far, ever: names a backoff, so that one outdated by a start is ignored. */
  private int failuresEver;

  private final CompletableFuture<Optional<String>> firstStart = new CompletableFuture<>();
  private volatile State state = State.STARTING;
  private volatile Instant since = Instant.now();
  private volatile int restarts;
  private final java.util.concurrent.atomic.AtomicInteger recycled =
      new java.util.concurrent.atomic.AtomicInteger();
  private volatile String lastProblem;
  private volatile SigKill lastKill;
  private int generation;

  /** The loop has ended (berth is stopping): events are answered at once. Guarded by events. */
  private boolean ended;

  /**
   * @param slot its place in the rotation ({@link TrafficSwitch#slot}), for the same app and number
   * @param ticker the time it goes by ({@link Ticker#SYSTEM} but in tests)
   */
  Instance(
      App app, String type, int number, Launcher launcher, TrafficSwitch.Slot slot, Ticker ticker) {
    this.app = requireNonNull(app, "app");
    this.type = requireNonNull(type, "type");
    this.number = number;
    this.launcher = requireNonNull(launcher, "launcher");
    this.slot = requireNonNull(slot, "slot");
    this.ticker = requireNonNull(ticker, "ticker");
  }

  /** Starts the instance's loop. @return completes with the first start's failure, or empty */
  CompletableFuture<Optional<String>> begin() {
    Thread.ofVirtual().name("instance-" + tag()).start(this::run);
    return firstStart;
  }

  /** The loop, and what happens if it fails: a bug of berth's stops this instance, not berth. */
  private void run() {
    try {
      loop();
    } catch (RuntimeException | Error e) {
      LOG.log(System.Logger.Level.ERROR, tag() + ": internal error; the instance is left FATAL", e);
      lastProblem = tag() + ": internal error in berth: " + e;
      stopCurrent();
      setState(State.FATAL);
      firstStart.complete(Optional.of(lastProblem));
      synchronized (events) {
        ended = true;
      }
      Event left;
      while ((left = events.poll()) != null) {
        answerAfterShutdown(left);
      }
    }
  }

  String tag() {
    return tag(app.name(), type, number);
  }

  static String tag(String app, String type, int number) {
    return type.equals(WEB) ? app + "." + number : app + "." + type + "." + number;
  }

  String type() {
    return type;
  }

  App app() {
    return app;
  }

  int number() {
    return number;
  }

  State state() {
    return state;
  }

  Instant since() {
    return since;
  }

  int restarts() {
    return restarts;
  }

  /** Replaces by the recycler (max_requests, max_memory); each is counted in restarts too. */
  int recycled() {
    return recycled.get();
  }

  void countRecycled() {
    recycled.incrementAndGet();
  }

  /** Why it last failed (exit code and last output, or the start failure), or null. */
  String lastProblem() {
    return lastProblem;
  }

  /** The last stop of its processes that needed SIGKILL, or null: see {@link StopKills}. */
  SigKill lastKill() {
    return lastKill;
  }

  /**
   * Its predecessor of the generation before (a deploy's old web.1) was killed as it stopped: that
   * is this instance number's last problem, for {@code berth status}, until one of its own. Called
   * from outside the loop, once the old generation is stopped; a volatile write, as the loop's.
   */
  void predecessorKilled(SigKill kill) {
    lastProblem = kill.problem();
  }

  /** Its ready incarnation, if it has one. */
  Optional<Incarnation> current() {
    return Optional.ofNullable(slot.current());
  }

  /** Its place in the rotation, for a deploy's switch. */
  TrafficSwitch.Slot slot() {
    return slot;
  }

  /** Stops it and keeps it stopped until {@link #start}. */
  CompletableFuture<Void> stop() {
    CompletableFuture<Void> done = new CompletableFuture<>();
    submit(new Stop(done));
    return done;
  }

  /** Starts it if stopped or FATAL (clearing its failures); a running instance is left as it is. */
  CompletableFuture<Optional<String>> start() {
    CompletableFuture<Optional<String>> done = new CompletableFuture<>();
    submit(new Start(done));
    return done;
  }

  /**
   * Rolling replace: a successor is started and must be ready before it takes the traffic; the old
   * incarnation is then withdrawn, drained (up to drain_timeout) and stopped. If the successor
   * fails, the old one keeps serving. @return completes with why it failed, or empty
   */
  CompletableFuture<Optional<String>> replace() {
    CompletableFuture<Optional<String>> done = new CompletableFuture<>();
    submit(new Replace(done));
    return done;
  }

  /** Stops it for good (berth is stopping), after its requests in flight drained. */
  CompletableFuture<Void> shutdown() {
    return shutdown(false);
  }

  /**
   * Stops it for good; {@code drained}: a deploy's old generation, whose requests had their
   * drain_timeout already, so that a long request does not wait it out twice before the SIGTERM.
   */
  CompletableFuture<Void> shutdown(boolean drained) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    submit(new Shutdown(done, drained));
    return done;
  }

  /** Queues an event for the loop; once the loop has ended, answers it at once. */
  private void submit(Event event) {
    synchronized (events) {
      if (!ended) {
        events.add(event);
        return;
      }
    }
    answerAfterShutdown(event);
  }

  private void loop() {
    boolean wantRunning = true;
    boolean launchNow = true;
    while (true) {
      if (launchNow) {
        launchNow = false;
        Optional<String> failure = launchAndAwait();
        firstStart.complete(failure);
        if (failure.isPresent()) {
          failedOnce();
        }
      }
      Event event = nextEvent();
      switch (event) {
        case BackoffOver over -> {
          // One that a start or stop made pointless since is ignored.
          launchNow =
              over.failures() == failuresEver
                  && wantRunning
                  && slot.current() == null
                  && state == State.BACKOFF;
        }
        case Exited exited -> {
          if (exited.incarnation() != slot.current() || exited.incarnation().stopping()) {
            continue;
          }
          Incarnation gone = slot.vacate();
          setState(State.STOPPING);
          // What it left in its group; the exit is the problem, the app's log has any kill.
          launcher.stop(app, gone).ifPresent(kill -> lastKill = kill);
          launcher.changed();
          int code = gone.process().exitValue();
          lastProblem = describe(gone, "exited unexpectedly with code " + code);
          LOG.log(System.Logger.Level.WARNING, lastProblem);
          failedOnce();
        }
        case Stop stop -> {
          wantRunning = false;
          stopCurrent();
          setState(State.STOPPED);
          stop.done().complete(null);
        }
        case Start start -> {
          if (slot.current() != null) {
            start.done().complete(Optional.empty());
            continue;
          }
          wantRunning = true;
          failures.clear();
          setState(State.STARTING);
          Optional<String> failure = launchAndAwait();
          start.done().complete(failure);
          if (failure.isPresent()) {
            failedOnce();
          }
        }
        case Replace replace -> replace.done().complete(replaceCurrent(wantRunning));
        case Shutdown shutdown -> {
          stopCurrent(!shutdown.drained());
          setState(State.STOPPED);
          firstStart.complete(Optional.of(tag() + ": not started: berth is stopping"));
          shutdown.done().complete(null);
          synchronized (events) {
            ended = true;
          }
          Event left;
          while ((left = events.poll()) != null) {
            answerAfterShutdown(left);
          }
          return;
        }
      }
    }
  }

  /** The next event; the end of a backoff is one too. */
  private Event nextEvent() {
    try {
      return events.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Shutdown(new CompletableFuture<>(), false);
    }
  }

  /**
   * Counts a failure and decides what follows: BACKOFF (and a start once it is over), or FATAL once
   * more than max_restarts failures fell within restart_window. A stopped or FATAL instance waits
   * for an operator.
   */
  private void failedOnce() {
    long now = ticker.nanoTime();
    failuresEver++;
    failures.addLast(now);
    while (!failures.isEmpty()
        && now - failures.peekFirst() > app.run().restarts().window().toNanos()) {
      failures.removeFirst();
    }
    if (failures.size() > app.run().restarts().max()) {
      setState(State.FATAL);
      LOG.log(
          System.Logger.Level.ERROR,
          "{0}: FATAL: {1} failures within {2}s; not restarting it (berth start {3} does)",
          tag(),
          failures.size(),
          app.run().restarts().window().toSeconds(),
          app.name());
      return;
    }
    setState(State.BACKOFF);
    int failure = failuresEver;
    ticker.schedule(backoff(), () -> submit(new BackoffOver(failure)));
  }

  /**
   * Doubling from 1 s per recent failure, at most a minute, with ±20% jitter so instances spread.
   */
  private Duration backoff() {
    int n = Math.max(1, failures.size());
    long millis = Math.min(MAX_BACKOFF.toMillis(), FIRST_BACKOFF.toMillis() << Math.min(n - 1, 16));
    double jitter = 0.8 + 0.4 * ThreadLocalRandom.current().nextDouble();
    return Duration.ofMillis((long) (millis * jitter));
  }

  /**
   * @return why it did not become ready, or empty once it is ready and routed
   */
  private Optional<String> launchAndAwait() {
    setState(State.STARTING);
    if (generation > 0) {
      restarts++;
    }
    Incarnation next;
    try {
      next = launcher.launch(app, type, number, ++generation);
    } catch (java.io.IOException e) {
      lastProblem = tag() + ": cannot start: " + e.getMessage();
      return Optional.of(lastProblem);
    }
    watch(next);
    Optional<String> failure = launcher.awaitReady(app, next, this::stopPending);
    if (failure.isPresent()) {
      lastProblem = failure.get();
      launcher.changed();
      return failure;
    }
    slot.enter(next);
    launcher.changed();
    setState(State.RUNNING);
    return Optional.empty();
  }

  private boolean stopPending() {
    return events.stream().anyMatch(e -> e instanceof Stop || e instanceof Shutdown);
  }

  private Optional<String> replaceCurrent(boolean wantRunning) {
    Incarnation old = slot.current();
    if (old == null || !wantRunning) {
      return Optional.of(tag() + ": not running (" + state.name() + ")");
    }
    Incarnation next;
    try {
      next = launcher.launch(app, type, number, ++generation);
    } catch (java.io.IOException e) {
      return Optional.of(tag() + ": cannot start its successor: " + e.getMessage());
    }
    watch(next);
    Optional<String> failure = launcher.awaitReady(app, next, this::stopPending);
    if (failure.isPresent()) {
      launcher.changed();
      return failure;
    }
    // The switch: the successor takes new requests before the old one stops taking them.
    slot.enter(next);
    old.markStopping();
    old.withdraw();
    since = Instant.now();
    restarts++;
    launcher.changed();
    DrainReport drained = drain(old);
    stopped(old, launcher.stop(app, old));
    drained.log(tag());
    launcher.changed();
    return Optional.empty();
  }

  /**
   * Waits for the requests in flight on a withdrawn incarnation, up to drain_timeout. @return what
   * became of them, to {@link DrainReport#log} once it has stopped
   */
  private DrainReport drain(Incarnation old) {
    DrainReport report = DrainReport.watching(List.of(old));
    long deadline = ticker.nanoTime() + app.run().drainTimeout().toNanos();
    while (old.inFlight() > 0 && old.process().isAlive() && ticker.nanoTime() < deadline) {
      ticker.sleep(DRAIN_POLL);
    }
    report.drained(app.run().drainTimeout(), 0, old.inFlight());
    // WebSockets do not end by themselves: those still open get their 1001 before the stop.
    old.closeTunnels();
    old.markTerminating();
    return report;
  }

  private void stopCurrent() {
    stopCurrent(true);
  }

  /**
   * @param drainFirst false when its requests had their drain already ({@link #shutdown})
   */
  private void stopCurrent(boolean drainFirst) {
    Incarnation running = slot.vacate();
    if (running == null) {
      return;
    }
    setState(State.STOPPING);
    running.markStopping();
    DrainReport drained = null;
    if (drainFirst) {
      drained = drain(running);
    } else {
      running.markTerminating();
    }
    stopped(running, launcher.stop(app, running));
    if (drained != null) {
      drained.log(tag());
    }
    launcher.changed();
  }

  /** A stop that needed SIGKILL is its last problem: a job was cut. */
  private void stopped(Incarnation gone, Optional<SigKill> killed) {
    killed.ifPresent(
        kill -> {
          gone.markKilled();
          lastKill = kill;
          lastProblem = kill.problem();
        });
  }

  private void watch(Incarnation incarnation) {
    incarnation.process().onExit().thenRun(() -> submit(new Exited(incarnation)));
  }

  private void answerAfterShutdown(Event event) {
    switch (event) {
      case Stop stop -> stop.done().complete(null);
      case Start start -> start.done().complete(Optional.of(tag() + ": berth is stopping"));
      case Replace replace -> replace.done().complete(Optional.of(tag() + ": berth is stopping"));
      case Shutdown shutdown -> shutdown.done().complete(null);
      case Exited exited -> {}
      case BackoffOver over -> {}
    }
  }

  private void setState(State next) {
    state = next;
    since = Instant.now();
  }

  /** {@code what}, followed by the last lines the incarnation wrote. */
  static String withOutput(Incarnation incarnation, String what) {
    return LastOutput.append(what, incarnation.output().lastLines());
  }

  private String describe(Incarnation incarnation, String what) {
    return withOutput(incarnation, tag() + ": " + what);
  }
}
