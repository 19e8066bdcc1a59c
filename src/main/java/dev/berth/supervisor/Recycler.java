package dev.berth.supervisor;

import static java.util.Objects.requireNonNull;

import dev.berth.config.App;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BiConsumer;
import java.util.function.IntUnaryOperator;
import java.util.function.ToLongFunction;

/**
 * Recycling (an app's max_requests and max_memory), gunicorn's max-requests without its dropped
 * requests. Once a second, each RUNNING instance of an app with limits is checked: requests the
 * edge sent its current incarnation against max_requests plus that incarnation's jitter, and the
 * RSS of its process tree against max_memory. One past a limit gets a rolling {@link
 * Instance#replace()}: its successor must be ready and take the traffic before it is drained and
 * stopped, so the app never has fewer instances serving.
 *
 * <p>At most one replace per app is in flight, so recycling never runs two successors of one app at
 * once. A replace that fails leaves the old incarnation serving; that incarnation is tried again
 * after a backoff (10 s, doubling up to 5 min).
 */
final class Recycler {

  private static final System.Logger LOG = System.getLogger(Recycler.class.getName());
  static final Duration INTERVAL = Duration.ofSeconds(1);
  private static final Duration FIRST_RETRY = Duration.ofSeconds(10);
  private static final Duration MAX_RETRY = Duration.ofMinutes(5);
  private static final long MIB = 1L << 20;

  /** A failed replace of {@code incarnation}: not tried again before {@code notBefore}. */
  private record Retry(Incarnation incarnation, int failures, long notBefore) {}

  private final Map<String, List<Instance>> instances;
  private final BiConsumer<String, String> report;
  private final ToLongFunction<Incarnation> rss;
  private final IntUnaryOperator jitter;

  /** Apps busy with a deploy, restart or scale: left alone until it is done. */
  private final java.util.function.Predicate<String> busy;

  /** Each current incarnation's request limit (max_requests + its jitter); the loop's alone. */
  private final Map<Incarnation, Long> limits = new HashMap<>();

  /** Per app, the replace in flight (or the last one, done). */
  private final Map<String, CompletableFuture<Optional<String>>> replacing =
      new ConcurrentHashMap<>();

  private final Map<Instance, Retry> retries = new ConcurrentHashMap<>();
  private volatile boolean closed;
  private Thread thread;

  /**
   * @param instances the supervisor's instances by app, read on each check
   * @param report told (app, line) of each recycling and each failure, for the app's log
   */
  Recycler(
      Map<String, List<Instance>> instances,
      BiConsumer<String, String> report,
      java.util.function.Predicate<String> busy) {
    this(
        instances,
        report,
        incarnation -> ProcessTree.rssBytes(incarnation.process().toHandle()),
        bound -> ThreadLocalRandom.current().nextInt(bound + 1),
        busy);
  }

  /** For tests: how RSS is measured, and the jitter drawn (0..bound) for each incarnation. */
  Recycler(
      Map<String, List<Instance>> instances,
      BiConsumer<String, String> report,
      ToLongFunction<Incarnation> rss,
      IntUnaryOperator jitter,
      java.util.function.Predicate<String> busy) {
    this.instances = requireNonNull(instances, "instances");
    this.report = requireNonNull(report, "report");
    this.rss = requireNonNull(rss, "rss");
    this.jitter = requireNonNull(jitter, "jitter");
    this.busy = requireNonNull(busy, "busy");
  }

  /** Starts checking every {@link #INTERVAL}, on a virtual thread; idempotent. */
  synchronized void start() {
    if (thread != null || closed) {
      return;
    }
    thread = Thread.ofVirtual().name("berth-recycler").start(this::loop);
  }

  /** Stops checking; a replace in flight goes on (berth's shutdown cancels its successor). */
  synchronized void close() {
    closed = true;
    if (thread != null) {
      thread.interrupt();
    }
  }

  private void loop() {
    while (!closed) {
      try {
        Thread.sleep(INTERVAL);
      } catch (InterruptedException e) {
        return;
      }
      try {
        check(System.nanoTime());
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.ERROR, "recycler: " + e, e);
      }
    }
  }

  /** One round: starts at most one replace per app whose previous one is done. */
  synchronized void check(long now) {
    Set<Incarnation> seen = new HashSet<>();
    for (List<Instance> list : instances.values()) {
      if (list.isEmpty() || !list.get(0).app().run().recycle().any()) {
        continue;
      }
      App app = list.get(0).app();
      CompletableFuture<Optional<String>> replace = replacing.get(app.name());
      boolean idle = (replace == null || replace.isDone()) && !busy.test(app.name());
      for (Instance instance : list) {
        Incarnation current = instance.current().orElse(null);
        if (current == null || instance.state() != Instance.State.RUNNING) {
          continue;
        }
        seen.add(current);
        if (!idle || closed) {
          continue;
        }
        Retry retry = retries.get(instance);
        if (retry != null && retry.incarnation() == current && now - retry.notBefore() < 0) {
          continue;
        }
        Optional<String> why = overLimit(app.run().recycle(), current);
        if (why.isPresent()) {
          recycle(app, instance, current, why.get());
          idle = false;
        }
      }
    }
    limits.keySet().retainAll(seen);
    // Instances a deploy replaced are gone from the lists: their retry marks go with them.
    retries
        .keySet()
        .removeIf(
            instance -> instances.values().stream().noneMatch(list -> list.contains(instance)));
  }

  /** Why {@code current} is due for recycling ("recycling after ..."), or empty. */
  private Optional<String> overLimit(App.Recycle recycle, Incarnation current) {
    if (recycle.maxRequests() != null) {
      long limit =
          limits.computeIfAbsent(
              current,
              i ->
                  (long) recycle.maxRequests()
                      + (recycle.maxRequestsJitter() > 0
                          ? jitter.applyAsInt(recycle.maxRequestsJitter())
                          : 0));
      long requests = current.requests();
      if (requests >= limit) {
        String max =
            limit == recycle.maxRequests()
                ? Long.toString(limit)
                : recycle.maxRequests() + " + jitter " + (limit - recycle.maxRequests());
        return Optional.of(
            "recycling after "
                + requests
                + (requests == 1 ? " request" : " requests")
                + " (max_requests "
                + max
                + ")");
      }
    }
    if (recycle.maxMemoryBytes() != null) {
      long bytes = rss.applyAsLong(current);
      if (bytes > recycle.maxMemoryBytes()) {
        return Optional.of(
            "recycling: RSS "
                + mib(bytes)
                + " MiB > max_memory "
                + mib(recycle.maxMemoryBytes())
                + " MiB");
      }
    }
    return Optional.empty();
  }

  private void recycle(App app, Instance instance, Incarnation current, String why) {
    say(app, System.Logger.Level.INFO, instance.tag() + ": " + why);
    CompletableFuture<Optional<String>> done = instance.replace();
    replacing.put(app.name(), done);
    done.whenComplete(
        (failure, error) -> {
          if (error == null && failure.isEmpty()) {
            retries.remove(instance);
            instance.countRecycled();
            return;
          }
          String reason = error != null ? error.toString() : failure.get();
          Retry previous = retries.get(instance);
          int failures =
              previous != null && previous.incarnation() == current ? previous.failures() + 1 : 1;
          Duration wait = backoff(failures);
          retries.put(instance, new Retry(current, failures, System.nanoTime() + wait.toNanos()));
          if (closed) {
            return;
          }
          say(
              app,
              System.Logger.Level.WARNING,
              instance.tag()
                  + ": recycling failed (the running process keeps serving; next try in "
                  + wait.toSeconds()
                  + "s): "
                  + reason);
        });
  }

  /** 10 s after the first failure, doubling, at most 5 min. */
  static Duration backoff(int failures) {
    long seconds = FIRST_RETRY.toSeconds() << Math.min(failures - 1, 10);
    return Duration.ofSeconds(Math.min(seconds, MAX_RETRY.toSeconds()));
  }

  private void say(App app, System.Logger.Level level, String line) {
    LOG.log(level, line);
    report.accept(app.name(), line);
  }

  /** "60" for a whole number of MiB, else "60.3". */
  private static String mib(long bytes) {
    return bytes % MIB == 0
        ? Long.toString(bytes / MIB)
        : String.format(java.util.Locale.ROOT, "%.1f", bytes / (double) MIB);
  }
}
