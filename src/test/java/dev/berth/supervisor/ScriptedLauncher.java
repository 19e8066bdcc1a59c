package dev.berth.supervisor;

import static java.util.Objects.requireNonNull;

import dev.berth.config.App;
import dev.berth.logs.LinePump;
import dev.berth.logs.Logs;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * A {@link Launcher} whose processes are {@link FakeProcess}es: ready at once unless the test
 * queued a failure, and stopped by a plain {@link FakeProcess#destroy} (which the test may have say
 * needed SIGKILL). Each launch and stop is handed to the test in order.
 */
final class ScriptedLauncher implements Launcher {

  private static final Duration HANDOFF = Duration.ofSeconds(20);

  private final Logs logs;
  private final Path socketDir;
  private final BlockingQueue<Incarnation> launched = new LinkedBlockingQueue<>();
  private final BlockingQueue<Incarnation> stopped = new LinkedBlockingQueue<>();

  /** Answers for the next waits for readiness, in order: a failure, or empty for ready. */
  private final Queue<Optional<String>> readiness = new ConcurrentLinkedQueue<>();

  private final AtomicInteger launches = new AtomicInteger();

  /** The next stops that need SIGKILL, in order: the grace each was given. */
  private final Queue<Duration> kills = new ConcurrentLinkedQueue<>();

  ScriptedLauncher(Logs logs, Path socketDir) {
    this.logs = requireNonNull(logs, "logs");
    this.socketDir = requireNonNull(socketDir, "socketDir");
  }

  /** The next start(s) fail to become ready with {@code why}. */
  void failNextStarts(int count, String why) {
    for (int i = 0; i < count; i++) {
      readiness.add(Optional.of(why));
    }
  }

  /** The next stop needs SIGKILL after {@code grace}, as a process ignoring SIGTERM would. */
  void killNextStop(Duration grace) {
    kills.add(grace);
  }

  /** The next process launched, waited for. */
  Incarnation nextLaunched() throws InterruptedException {
    return take(launched, "a launch");
  }

  /** The next process stopped, waited for. */
  Incarnation nextStopped() throws InterruptedException {
    return take(stopped, "a stop");
  }

  /** Processes launched so far. */
  int launches() {
    return launches.get();
  }

  static FakeProcess process(Incarnation incarnation) {
    return (FakeProcess) incarnation.process();
  }

  @Override
  public Incarnation launch(App app, String type, int number, int generation) throws IOException {
    String tag = Instance.tag(app.name(), type, number);
    FakeProcess process = new FakeProcess();
    int launch = launches.incrementAndGet();
    // Named for the test to tell incarnations apart: web.1-3 is the third launch.
    Endpoint endpoint =
        type.equals(Instance.WEB)
            ? new Endpoint.Unix(socketDir.resolve(tag + "-" + launch + ".sock"))
            : null;
    Incarnation incarnation =
        new Incarnation(
            tag,
            endpoint,
            process,
            LinePump.start(tag, process.getInputStream(), logs.stream(app.name())),
            Instant.EPOCH);
    launched.add(incarnation);
    return incarnation;
  }

  @Override
  public Optional<String> awaitReady(App app, Incarnation incarnation, BooleanSupplier cancelled) {
    Optional<String> answer = readiness.poll();
    if (answer != null && answer.isPresent()) {
      stop(app, incarnation);
      return answer;
    }
    return Optional.empty();
  }

  @Override
  public Optional<SigKill> stop(App app, Incarnation incarnation) {
    incarnation.markStopping();
    incarnation.withdraw();
    incarnation.process().destroy();
    stopped.add(incarnation);
    Duration grace = kills.poll();
    return grace == null
        ? Optional.empty()
        : Optional.of(
            new SigKill(incarnation.tag(), 1, grace, Instant.parse("2026-12-07T21:40:12Z")));
  }

  @Override
  public void changed() {}

  private static <T> T take(BlockingQueue<T> queue, String what) throws InterruptedException {
    T next = queue.poll(HANDOFF.toMillis(), TimeUnit.MILLISECONDS);
    if (next == null) {
      throw new AssertionError("no " + what + " within " + HANDOFF.toSeconds() + " s");
    }
    return next;
  }
}
