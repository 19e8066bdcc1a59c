package dev.berth.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.testing.Await;
import dev.berth.testing.BerthProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recycling with a real gunicorn behind a real berth: max_requests under concurrent load and
 * max_memory after the app grows, each without a single failed request and without leaving the
 * replaced processes behind. The test app answers /pid with its worker's pid and parent pid (the
 * gunicorn master, which is the instance's process berth started).
 */
class RecyclingEndToEndTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration LOAD_LIMIT = Duration.ofSeconds(120);

  @TempDir Path tmp;
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10))
          .build();

  /** What one /pid response said. */
  private record Seen(long master, long worker) {}

  private Path config(int port, String recycling) throws Exception {
    return BerthProcess.write(
        tmp.resolve("berth.toml"),
        """
        state_dir = "%s/state"

        [[listeners]]
        address = "127.0.0.1:%d"

        [apps.web]
        user = "root"
        dir = "%s"
        command = "/usr/bin/gunicorn --workers 1 wsgi:app"
        stop_timeout = "5s"
        drain_timeout = "10s"
        %s

        [[routes]]
        app = "web"
        """
            .formatted(tmp, port, BerthProcess.testApp(), recycling));
  }

  @Test
  void maxRequestsReplacesTheInstanceAgainAndAgainWithoutAFailedRequest() throws Exception {
    int port = BerthProcess.freePort();
    Path config = config(port, "max_requests = 20");
    try (BerthProcess berth = BerthProcess.up(config)) {
      Set<Long> masters = ConcurrentHashMap.newKeySet();
      Set<Long> workers = ConcurrentHashMap.newKeySet();
      List<String> failures = new CopyOnWriteArrayList<>();
      AtomicInteger sent = new AtomicInteger();
      long deadline = System.nanoTime() + LOAD_LIMIT.toNanos();
      // Until the instance was replaced 3 times and at least 100 requests went through.
      BooleanSupplier enough =
          () -> (masters.size() >= 4 && sent.get() >= 100) || System.nanoTime() > deadline;
      ExecutorService load = Executors.newFixedThreadPool(4);
      try {
        List<Future<?>> clients = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
          clients.add(
              load.submit(
                  () -> {
                    while (!enough.getAsBoolean() && failures.size() < 10) {
                      sent.incrementAndGet();
                      try {
                        Seen seen = pid(port);
                        masters.add(seen.master());
                        workers.add(seen.worker());
                      } catch (Exception e) {
                        failures.add(e.getMessage());
                      }
                      sleep(10);
                    }
                    return null;
                  }));
        }
        for (Future<?> client : clients) {
          client.get(LOAD_LIMIT.toSeconds() + 30, TimeUnit.SECONDS);
        }
      } finally {
        load.shutdownNow();
        load.awaitTermination(30, TimeUnit.SECONDS);
      }

      assertThat(failures).as("failed requests out of %d", sent.get()).isEmpty();
      assertThat(masters)
          .as("gunicorn masters seen in %d requests; output:\n%s", sent.get(), berth.output())
          .hasSizeGreaterThanOrEqualTo(4);
      // Every recycling came after at least max_requests requests to that incarnation.
      Matcher recycled =
          Pattern.compile("web\\.1: recycling after (\\d+) requests \\(max_requests 20\\)")
              .matcher(berth.output());
      int lines = 0;
      while (recycled.find()) {
        lines++;
        assertThat(Integer.parseInt(recycled.group(1))).isGreaterThanOrEqualTo(20);
      }
      assertThat(lines).as(berth.output()).isGreaterThanOrEqualTo(3);

      Set<Long> seen = ConcurrentHashMap.newKeySet();
      seen.addAll(masters);
      seen.addAll(workers);
      awaitOnlyCurrentLeft(port, seen);
      JsonNode web1 = awaitStatus(config, s -> s.path("recycled").asInt() >= 3);
      assertThat(web1.path("state").asText()).isEqualTo("RUNNING");
      assertThat(web1.path("recycled").asInt()).isGreaterThanOrEqualTo(3);
      assertThat(web1.path("restarts").asInt())
          .isGreaterThanOrEqualTo(web1.path("recycled").asInt());

      assertThat(berth.terminate(Duration.ofSeconds(60))).isZero();
    }
  }

  @Test
  void maxMemoryReplacesTheInstanceOnceItGrowsPastIt() throws Exception {
    int port = BerthProcess.freePort();
    // gunicorn's master and one Flask worker take about 65 MiB here; the hog adds 96 MiB.
    long limit = 120L << 20;
    Path config = config(port, "max_memory = \"120m\"");
    try (BerthProcess berth = BerthProcess.up(config)) {
      Seen first = pid(port);
      JsonNode before = status(config);
      assertThat(before.path("pid").asLong()).isEqualTo(first.master());
      assertThat(before.path("rss_bytes").asLong())
          .as("the app's idle RSS must be under the test's max_memory")
          .isPositive()
          .isLessThan(limit);

      HttpResponse<String> hog = get(port, "/hog?mb=96");
      assertThat(hog.statusCode()).isEqualTo(200);
      assertThat(JSON.readTree(hog.body()).path("ppid").asLong()).isEqualTo(first.master());

      // Requests go on being answered (by the old instance, then the new one) until it switched.
      Set<Long> seen = ConcurrentHashMap.newKeySet();
      seen.add(first.master());
      seen.add(first.worker());
      Seen now =
          Await.value(
              "a new web.1 answering in place of " + first.master(),
              Duration.ofSeconds(60),
              () -> {
                Seen answered = pid(port);
                seen.add(answered.master());
                seen.add(answered.worker());
                return answered;
              },
              answered -> answered.master() != first.master());
      assertThat(berth.awaitLine("web.1: recycling: RSS", Duration.ofSeconds(5)))
          .matches(".*web\\.1: recycling: RSS [0-9.]+ MiB > max_memory 120 MiB");

      awaitOnlyCurrentLeft(port, seen);
      JsonNode web1 = awaitStatus(config, s -> s.path("recycled").asInt() == 1);
      assertThat(web1.path("recycled").asInt()).isEqualTo(1);
      assertThat(web1.path("pid").asLong()).isEqualTo(now.master());
      assertThat(web1.path("rss_bytes").asLong()).isLessThan(limit);
      assertThat(berth.output()).containsOnlyOnce("recycling: RSS");
      // The table a user reads: the recycle is counted in its own column.
      try (BerthProcess cli = BerthProcess.start("status", "--config", config.toString())) {
        assertThat(cli.waitFor(Duration.ofSeconds(60))).as(cli.output()).isZero();
        List<String[]> table = cli.output().lines().map(l -> l.trim().split("\\s+")).toList();
        int column = List.of(table.get(0)).indexOf("RECYCLED");
        assertThat(column).as(cli.output()).isPositive();
        assertThat(table.get(1)[0]).isEqualTo("web.1");
        assertThat(table.get(1)[column]).isEqualTo("1");
      }

      assertThat(berth.terminate(Duration.ofSeconds(60))).isZero();
    }
  }

  /** GET /pid; anything but a 200 is a failure. */
  private Seen pid(int port) throws Exception {
    HttpResponse<String> response = get(port, "/pid");
    if (response.statusCode() != 200) {
      throw new AssertionError("GET /pid: " + response.statusCode() + " " + response.body());
    }
    JsonNode body = JSON.readTree(response.body());
    return new Seen(body.path("ppid").asLong(), body.path("pid").asLong());
  }

  private HttpResponse<String> get(int port, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(30))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** web.1 from `berth status --json`, run as a user would. */
  private static JsonNode status(Path config) throws Exception {
    try (BerthProcess cli = BerthProcess.start("status", "--json", "--config", config.toString())) {
      assertThat(cli.waitFor(Duration.ofSeconds(60))).as(cli.output()).isZero();
      String line =
          cli.output().lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElseThrow();
      for (JsonNode instance : JSON.readTree(line).path("instances")) {
        if (instance.path("app").asText().equals("web") && instance.path("instance").asInt() == 1) {
          return instance;
        }
      }
      throw new AssertionError("no web.1 in " + line);
    }
  }

  /**
   * web.1's status once {@code wanted} holds: a recycle is counted when its replace is complete,
   * after the old instance drained and stopped.
   */
  private static JsonNode awaitStatus(Path config, java.util.function.Predicate<JsonNode> wanted) {
    return Await.value("web.1's status as awaited", () -> status(config), wanted);
  }

  /**
   * Waits until every process seen is gone except the instance now answering (its master and
   * workers). The current one is asked again each time, as one more recycle may be under way.
   */
  private void awaitOnlyCurrentLeft(int port, Set<Long> seen) {
    long[] current = new long[1];
    Await.value(
        "every replaced process gone (the list: those still running)",
        Duration.ofSeconds(30),
        () -> {
          current[0] = pid(port).master();
          Set<Long> live = ConcurrentHashMap.newKeySet();
          live.add(current[0]);
          ProcessHandle.of(current[0])
              .ifPresent(p -> p.descendants().forEach(d -> live.add(d.pid())));
          seen.addAll(live);
          return seen.stream()
              .filter(p -> !live.contains(p))
              .filter(RecyclingEndToEndTest::running)
              .toList();
        },
        List::isEmpty);
    assertThat(seen).as("processes seen").hasSizeGreaterThan(2);
    assertThat(running(current[0])).isTrue();
  }

  /** Alive and not a zombie. */
  private static boolean running(long pid) {
    try {
      String stat = java.nio.file.Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
    } catch (java.io.IOException e) {
      return false;
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
