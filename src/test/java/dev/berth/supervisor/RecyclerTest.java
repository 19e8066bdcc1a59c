package dev.berth.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.config.App;
import dev.berth.logs.LinePump;
import dev.berth.logs.LogSettings;
import dev.berth.logs.Logs;
import dev.berth.testing.Await;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.ToLongFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The recycler's policy, with real instances whose processes are {@code sleep}s and whose request
 * counts and RSS the test sets: which instance is replaced, one per app at a time, and the backoff
 * after a failed replace. Checks are driven by the test, not by the recycler's clock.
 */
class RecyclerTest {

  @TempDir Path tmp;
  private Logs logs;
  private final FakeLauncher launcher = new FakeLauncher();
  private final TrafficSwitch traffic = new TrafficSwitch(new CountingListener());
  private final Map<String, List<Instance>> instances = new ConcurrentHashMap<>();
  private final List<String> reports = new CopyOnWriteArrayList<>();
  private final Map<Incarnation, Long> rss = new ConcurrentHashMap<>();
  private int jitterDrawn;

  @BeforeEach
  void setUp() throws IOException {
    logs = new Logs(LogSettings.defaults(tmp.resolve("log")));
  }

  @AfterEach
  void tearDown() {
    launcher.gate.release(100);
    instances
        .values()
        .forEach(list -> list.stream().map(Instance::shutdown).toList().forEach(f -> f.join()));
    launcher.processes.forEach(Process::destroyForcibly);
    logs.close();
  }

  @Test
  void replacesAnInstancePastMaxRequestsAndCountsFromZeroAgain() throws Exception {
    List<Instance> web = start(app(new App.Recycle(5, 0, null)), 1);
    Recycler recycler = recycler();
    Instance one = web.get(0);
    Incarnation first = one.current().orElseThrow();

    launcher.requests(first).set(4);
    recycler.check(System.nanoTime());
    assertThat(one.current()).containsSame(first);

    launcher.requests(first).set(5);
    recycler.check(System.nanoTime());
    Await.until("web.1 recycled once", () -> one.recycled() == 1);
    Incarnation second = one.current().orElseThrow();
    assertThat(second).isNotSameAs(first);
    assertThat(first.process().isAlive()).isFalse();
    assertThat(one.restarts()).isEqualTo(1);
    assertThat(reports).containsExactly("web: web.1: recycling after 5 requests (max_requests 5)");

    recycler.check(System.nanoTime());
    assertThat(one.current()).containsSame(second);
  }

  @Test
  void jitterIsDrawnOncePerIncarnationAndAddedToTheLimit() throws Exception {
    jitterDrawn = 3;
    List<Instance> web = start(app(new App.Recycle(10, 5, null)), 1);
    Recycler recycler = recycler();
    Instance one = web.get(0);
    Incarnation first = one.current().orElseThrow();

    launcher.requests(first).set(12);
    recycler.check(System.nanoTime());
    jitterDrawn = 0; // drawn already for this incarnation: no effect
    recycler.check(System.nanoTime());
    assertThat(one.current()).containsSame(first);

    launcher.requests(first).set(13);
    recycler.check(System.nanoTime());
    Await.until("web.1 recycled once", () -> one.recycled() == 1);
    assertThat(reports)
        .containsExactly("web: web.1: recycling after 13 requests (max_requests 10 + jitter 3)");
  }

  @Test
  void replacesAnInstanceWhoseTreeUsesMoreThanMaxMemory() throws Exception {
    List<Instance> web = start(app(new App.Recycle(null, 0, 60L << 20)), 1);
    Recycler recycler = recycler();
    Instance one = web.get(0);
    Incarnation first = one.current().orElseThrow();

    rss.put(first, 60L << 20);
    recycler.check(System.nanoTime());
    assertThat(one.current()).containsSame(first);

    rss.put(first, (70L << 20) + (300L << 10));
    recycler.check(System.nanoTime());
    Await.until("web.1 recycled once", () -> one.recycled() == 1);
    assertThat(one.current().orElseThrow()).isNotSameAs(first);
    assertThat(reports).containsExactly("web: web.1: recycling: RSS 70.3 MiB > max_memory 60 MiB");
  }

  @Test
  void oneReplacePerAppAtATime() throws Exception {
    List<Instance> web = start(app(new App.Recycle(1, 0, null)), 2);
    Recycler recycler = recycler();
    web.forEach(i -> launcher.requests(i.current().orElseThrow()).set(1));

    launcher.gate.drainPermits(); // successors wait for a permit before they are ready
    recycler.check(System.nanoTime());
    Await.until("web.1's successor launched (3 launches)", () -> launcher.launches.get() == 3);
    // check decides synchronously, and reports a replace before it starts one: with no new report
    // when it returns, it started none (web.2 is over its limit too, but web.1's is in flight).
    recycler.check(System.nanoTime());
    recycler.check(System.nanoTime());
    assertThat(reports).containsExactly("web: web.1: recycling after 1 request (max_requests 1)");
    assertThat(launcher.launches.get()).isEqualTo(3);

    launcher.gate.release();
    Await.until("web.1 recycled once", () -> web.get(0).recycled() == 1);
    recycler.check(System.nanoTime());
    Await.until("web.2's successor launched (4 launches)", () -> launcher.launches.get() == 4);
    launcher.gate.release();
    Await.until("web.2 recycled once", () -> web.get(1).recycled() == 1);
    assertThat(reports)
        .hasSize(2)
        .last()
        .isEqualTo("web: web.2: recycling after 1 request (max_requests 1)");
  }

  @Test
  void aFailedReplaceKeepsTheInstanceServingAndIsRetriedAfterABackoff() throws Exception {
    List<Instance> web = start(app(new App.Recycle(1, 0, null)), 1);
    Recycler recycler = recycler();
    Instance one = web.get(0);
    Incarnation first = one.current().orElseThrow();
    launcher.requests(first).set(1);

    launcher.failing = true;
    recycler.check(System.nanoTime());
    Await.until("the failed replace reported (2 reports)", () -> reports.size() == 2);
    assertThat(reports.get(1))
        .isEqualTo(
            "web: web.1: recycling failed (the running process keeps serving; next try in 10s): web.1: broken");
    assertThat(one.current()).containsSame(first);
    assertThat(first.process().isAlive()).isTrue();
    assertThat(one.state()).isEqualTo(Instance.State.RUNNING);

    recycler.check(System.nanoTime());
    recycler.check(System.nanoTime() + Duration.ofSeconds(9).toNanos());
    assertThat(reports).as("no replace started within the backoff").hasSize(2);
    assertThat(launcher.launches.get()).isEqualTo(2);

    recycler.check(System.nanoTime() + Duration.ofSeconds(11).toNanos());
    Await.until("the second failure reported (4 reports)", () -> reports.size() == 4);
    assertThat(reports.get(3)).contains("next try in 20s)");
    assertThat(launcher.launches.get()).isEqualTo(3);

    launcher.failing = false;
    recycler.check(System.nanoTime() + Duration.ofSeconds(31).toNanos());
    Await.until("web.1 recycled once", () -> one.recycled() == 1);
    assertThat(first.process().isAlive()).isFalse();
  }

  @Test
  void backoffDoublesUpToFiveMinutes() {
    assertThat(Recycler.backoff(1)).hasSeconds(10);
    assertThat(Recycler.backoff(2)).hasSeconds(20);
    assertThat(Recycler.backoff(5)).hasSeconds(160);
    assertThat(Recycler.backoff(6)).hasSeconds(300);
    assertThat(Recycler.backoff(100)).hasSeconds(300);
  }

  @Test
  void appsWithoutLimitsAreLeftAlone() throws Exception {
    List<Instance> web = start(app(App.Recycle.NONE), 1);
    launcher.requests(web.get(0).current().orElseThrow()).set(1_000_000);
    // check decides synchronously and reports each replace it starts: none by the time it returns.
    recycler().check(System.nanoTime());
    assertThat(reports).isEmpty();
    assertThat(launcher.launches.get()).isEqualTo(1);
  }

  private Recycler recycler() {
    ToLongFunction<Incarnation> measure = i -> rss.getOrDefault(i, 0L);
    return new Recycler(
        instances,
        (app, line) -> reports.add(app + ": " + line),
        measure,
        bound -> jitterDrawn,
        app -> false);
  }

  private List<Instance> start(App app, int count) {
    List<Instance> list = new ArrayList<>();
    for (int n = 1; n <= count; n++) {
      list.add(
          new Instance(
              app, Instance.WEB, n, launcher, traffic.slot(app.name(), n, true), Ticker.SYSTEM));
    }
    instances.put(app.name(), new CopyOnWriteArrayList<>(list));
    list.stream().map(Instance::begin).toList().forEach(f -> assertThat(f.join()).isEmpty());
    return list;
  }

  private App app(App.Recycle recycle) {
    return new App(
        "web",
        new App.Run(
            tmp,
            "sleep 600",
            1,
            Map.of(),
            App.SocketKind.UNIX,
            Duration.ofSeconds(5),
            Duration.ofSeconds(5),
            new App.Restarts(5, Duration.ofSeconds(60)),
            Duration.ofMillis(100),
            List.of(),
            null,
            recycle,
            null,
            App.DEFAULT_LOG_RATE_LIMIT),
        new App.Backend(App.Balance.ROUND_ROBIN, null, 0, Duration.ofSeconds(60), 1, List.of()),
        App.Deploy.NONE,
        Map.of());
  }

  /**
   * Incarnations are real `sleep` processes; readiness, routing and request counts are the test's.
   */
  private final class FakeLauncher implements Launcher {
    final List<Process> processes = new CopyOnWriteArrayList<>();
    final Map<Endpoint, AtomicLong> requests = new ConcurrentHashMap<>();
    final AtomicLong launches = new AtomicLong();

    /** A successor (not a first start) takes a permit before it is ready. */
    final Semaphore gate = new Semaphore(100);

    volatile boolean failing;

    AtomicLong requests(Incarnation incarnation) {
      return requests(incarnation.endpoint());
    }

    AtomicLong requests(Endpoint endpoint) {
      return requests.computeIfAbsent(endpoint, e -> new AtomicLong());
    }

    @Override
    public Incarnation launch(App app, String type, int number, int generation) throws IOException {
      Process process = new ProcessBuilder("sleep", "600").redirectErrorStream(true).start();
      processes.add(process);
      launches.incrementAndGet();
      return new Incarnation(
          app.name() + "." + number,
          new Endpoint.Unix(tmp.resolve(app.name() + "-" + number + "." + generation + ".sock")),
          process,
          LinePump.start(
              app.name() + "." + number, process.getInputStream(), logs.stream(app.name())));
    }

    @Override
    public Optional<String> awaitReady(
        App app, Incarnation incarnation, BooleanSupplier cancelled) {
      if (launches.get() > instances.get(app.name()).size()) {
        try {
          while (!gate.tryAcquire(50, TimeUnit.MILLISECONDS)) {
            if (cancelled.getAsBoolean()) {
              stop(app, incarnation);
              return Optional.of("cancelled");
            }
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      if (failing) {
        stop(app, incarnation);
        return Optional.of(app.name() + ".1: broken");
      }
      return Optional.empty();
    }

    @Override
    public Optional<SigKill> stop(App app, Incarnation incarnation) {
      incarnation.markStopping();
      incarnation.process().destroy();
      try {
        incarnation.process().waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return Optional.empty();
    }

    @Override
    public void changed() {}
  }

  /** Every peer, in rotation or on standby, counts the requests the test sets. */
  private final class CountingListener implements InstanceListener {
    @Override
    public Routed ready(String app, int instance, Endpoint endpoint) {
      AtomicLong count = launcher.requests(endpoint);
      return new Routed() {
        @Override
        public void withdraw() {}

        @Override
        public int inFlight() {
          return 0;
        }

        @Override
        public long requests() {
          return count.get();
        }
      };
    }

    @Override
    public Routed standby(String app, int instance, Endpoint endpoint) {
      return ready(app, instance, endpoint);
    }

    @Override
    public void serveFrom(String app, Path release) {}

    @Override
    public void switchOver(String app, Path release, List<Routed> serving) {
      throw new UnsupportedOperationException("no deploys here");
    }
  }
}
