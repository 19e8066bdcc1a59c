package dev.berth.supervisor;

import static java.util.Objects.requireNonNull;

import dev.berth.config.App;
import dev.berth.logs.LastOutput;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One instance of an app (say web.2) over its whole life: <b>where a process is restarted</b>. A
 * virtual thread per instance runs the loop below and alone changes its state; requests from
 * outside (stop, start, rolling replace) and process exits arrive as events on its queue, so no two
 * of them ever race.
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

  private record Shutdown(CompletableFuture<Void> done) implements Event {}

  /** The type of the routed process, whose instances are tagged app.N; others are app.type.N. */
  static final String WEB = "web";

  /**
   * Held while an instance decides whether its ready incarnation joins the rotation, and while a
   * deploy switches generations: so a switch never misses an incarnation that just became ready,
   * nor lets one of the old generation in after it. Routing changes are rare; one lock will do.
   */
  static final Object ROUTING = new Object();

  private final App app;
  private final String type;
  private final int number;
  private final Launcher launcher;
  private final LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();

  /** Times of recent unexpected exits and failed starts, oldest first, within the window. */
  private final ArrayDeque<Long> failures = new ArrayDeque<>();

  private final CompletableFuture<Optional<String>> firstStart = new CompletableFuture<>();
  private volatile State state = State.STARTING;
  private volatile Incarnation current;
  private volatile Instant since = Instant.now();
  private volatile int restarts;
  private final java.util.concurrent.atomic.AtomicInteger recycled =
      new java.util.concurrent.atomic.AtomicInteger();
  private volatile String lastProblem;
  private int generation;

  /**
   * Its incarnations wait out of rotation: a new generation before the deploy's switch, or an old
   * one after it. Guarded by {@link #ROUTING}.
   */
  private boolean held;

  /** The loop has ended (berth is stopping): events are answered at once. Guarded by events. */
  private boolean ended;

  /**
   * Starts and stops incarnations; the supervisor's part, so that this class holds only the policy.
   */
  interface Launcher {
    /** Starts the command on a fresh endpoint; throws with the reason when it cannot. */
    Incarnation launch(App app, String type, int number, int generation) throws java.io.IOException;

    /** Waits until it answers HTTP: empty when ready, else why not (it is then stopped). */
    Optional<String> awaitReady(
        App app, Incarnation incarnation, java.util.function.BooleanSupplier cancelled);

    /** Routes traffic to it. */
    void route(App app, int number, Incarnation incarnation);

    /** Gives it a peer out of rotation: its generation is not serving (yet, or any more). */
    void standby(App app, int number, Incarnation incarnation);

    /**
     * Stops its whole process tree (TERM, stop_timeout, KILL) and waits; after the leader died,
     * what is left of its group (a killed gunicorn master's workers).
     */
    void stop(App app, Incarnation incarnation);

    /** It exited, or started, or stopped: the state file must say so. */
    void changed();
  }

  Instance(App app, String type, int number, Launcher launcher) {
    this(app, type, number, launcher, false);
  }

  /**
   * @param held whether its incarnations wait out of rotation until {@link #admit} (a new
   *     generation)
   */
  Instance(App app, String type, int number, Launcher launcher, boolean held) {
    this.app = requireNonNull(app, "app");
    this.type = requireNonNull(type, "type");
    this.number = number;
    this.launcher = requireNonNull(launcher, "launcher");
    this.held = held;
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

  Optional<Incarnation> current() {
    return Optional.ofNullable(current);
  }

  /** From now on its incarnations join the rotation. Call holding {@link #ROUTING}. */
  void admit() {
    held = false;
  }

  /**
   * From now on its incarnations stay out of rotation (a generation being replaced). Call holding
   * {@link #ROUTING}.
   */
  void hold() {
    held = true;
  }

  /** Routes a ready incarnation, or keeps it on standby while this instance is held. */
  private void enter(Incarnation next) {
    synchronized (ROUTING) {
      current = next;
      if (held) {
        launcher.standby(app, number, next);
      } else {
        launcher.route(app, number, next);
      }
    }
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

  /** Stops it for good (berth is stopping). */
  CompletableFuture<Void> shutdown() {
    CompletableFuture<Void> done = new CompletableFuture<>();
    submit(new Shutdown(done));
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
      Event event = nextEvent(wantRunning);
      switch (event) {
        case null -> launchNow = true; // the backoff is over

        case Exited exited -> {
          if (exited.incarnation() != current || exited.incarnation().stopping()) {
            continue;
          }
          Incarnation gone = current;
          synchronized (ROUTING) {
            current = null;
          }
          setState(State.STOPPING);
          gone.withdraw();
          launcher.stop(app, gone);
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
          if (current != null) {
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
          stopCurrent();
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

  /**
   * The next event; while in BACKOFF, null when the backoff is over. Only a running instance (or
   * one wanted running) waits in backoff; a stopped or FATAL one waits for an operator.
   */
  private Event nextEvent(boolean wantRunning) {
    try {
      if (wantRunning && current == null && state == State.BACKOFF) {
        return events.poll(backoff().toMillis(), TimeUnit.MILLISECONDS);
      }
      return events.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Shutdown(new CompletableFuture<>());
    }
  }

  /**
   * Counts a failure and decides what follows: BACKOFF, or FATAL once more than max_restarts
   * failures fell within restart_window.
   */
  private void failedOnce() {
    long now = System.nanoTime();
    failures.addLast(now);
    while (!failures.isEmpty() && now - failures.peekFirst() > app.restarts().window().toNanos()) {
      failures.removeFirst();
    }
    if (failures.size() > app.restarts().max()) {
      setState(State.FATAL);
      LOG.log(
          System.Logger.Level.ERROR,
          "{0}: FATAL: {1} failures within {2}s; not restarting it (berth start {3} does)",
          tag(),
          failures.size(),
          app.restarts().window().toSeconds(),
          app.name());
      return;
    }
    setState(State.BACKOFF);
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
    enter(next);
    launcher.changed();
    setState(State.RUNNING);
    return Optional.empty();
  }

  private boolean stopPending() {
    return events.stream().anyMatch(e -> e instanceof Stop || e instanceof Shutdown);
  }

  private Optional<String> replaceCurrent(boolean wantRunning) {
    Incarnation old = current;
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
    enter(next);
    old.markStopping();
    old.withdraw();
    since = Instant.now();
    restarts++;
    launcher.changed();
    drain(old);
    launcher.stop(app, old);
    launcher.changed();
    return Optional.empty();
  }

  /** Waits for the requests in flight on a withdrawn incarnation, up to drain_timeout. */
  private void drain(Incarnation old) {
    long deadline = System.nanoTime() + app.drainTimeout().toNanos();
    while (old.inFlight() > 0 && old.process().isAlive() && System.nanoTime() < deadline) {
      sleep(Duration.ofMillis(20));
    }
  }

  private void stopCurrent() {
    Incarnation running;
    synchronized (ROUTING) {
      running = current;
      current = null;
    }
    if (running == null) {
      return;
    }
    setState(State.STOPPING);
    running.markStopping();
    running.withdraw();
    drain(running);
    launcher.stop(app, running);
    launcher.changed();
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

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
