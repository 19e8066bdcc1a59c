package dev.berth.accesslog;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.config.AccessLogSpec;
import dev.berth.config.AccessLogSpec.Format;
import dev.berth.testing.Await;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AccessLogTest {

  private static final Pattern TARGET = Pattern.compile("\"GET (\\S+) HTTP/1.1\"");

  @TempDir Path tmp;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private AccessLog log = new AccessLog(new PrintStream(out, true, StandardCharsets.UTF_8));

  @AfterEach
  void tearDown() {
    log.close();
  }

  private static AccessLogEntry entry(String target) {
    return new AccessLogEntry(
        Instant.now(),
        "127.0.0.1",
        "GET",
        target,
        "HTTP/1.1",
        200,
        5,
        null,
        "test",
        "localhost",
        null,
        null,
        Duration.ofMillis(1));
  }

  private AccessLogSpec combined(String path) {
    return new AccessLogSpec(true, tmp.resolve(path), Format.COMBINED);
  }

  @Test
  void writesEachSpecToItsFileInItsFormat() throws Exception {
    AccessLogSpec a = combined("log/a/access.log");
    AccessLogSpec b = new AccessLogSpec(true, tmp.resolve("log/b.json"), Format.JSON);

    log.log(a, entry("/a1"));
    log.log(b, entry("/b1"));
    log.log(a, entry("/a2"));
    log.log(new AccessLogSpec(false, tmp.resolve("off.log"), Format.COMBINED), entry("/off"));

    assertThat(targets(awaitLines(a.path(), 2))).containsExactly("/a1", "/a2");
    List<String> json = awaitLines(b.path(), 1);
    assertThat(json).hasSize(1);
    assertThat(new ObjectMapper().readTree(json.get(0)).get("target").asText()).isEqualTo("/b1");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(a.path())))
        .isEqualTo("rw-r-----");
    log.close();
    assertThat(tmp.resolve("off.log")).doesNotExist();
    assertThat(log.dropped()).isZero();
  }

  @Test
  void appendsToAnExistingFile() throws Exception {
    AccessLogSpec spec = combined("access.log");
    Files.writeString(spec.path(), "earlier line\n");

    log.log(spec, entry("/1"));
    log.close();

    List<String> lines = Files.readAllLines(spec.path());
    assertThat(lines).hasSize(2).startsWith("earlier line");
    assertThat(targets(lines)).containsExactly("/1");
  }

  @Test
  void noticesARenameWithoutBeingToldAndStartsANewFile() throws Exception {
    AccessLogSpec spec = combined("access.log");
    Path rotated = tmp.resolve("access.log.1");
    List<String> logged = new ArrayList<>(List.of("/first"));
    log.log(spec, entry("/first"));
    awaitLines(spec.path(), 1);

    Files.move(spec.path(), rotated);
    // Lines keep going to the renamed file until the writer's once-a-second check notices.
    Await.until(
        "a new file at the old path, with lines in it",
        () -> {
          if (Files.exists(spec.path()) && Files.size(spec.path()) > 0) {
            return true;
          }
          String target = "/after-" + logged.size();
          logged.add(target);
          log.log(spec, entry(target));
          return false;
        });
    log.close();

    List<String> old = targets(Files.readAllLines(rotated));
    List<String> fresh = targets(Files.readAllLines(spec.path()));
    assertThat(old).startsWith("/first");
    assertThat(fresh).isNotEmpty().doesNotContain("/first");
    List<String> both = new ArrayList<>(old);
    both.addAll(fresh);
    assertThat(both).isEqualTo(logged);
  }

  @Test
  void reopenSendsLaterLinesToANewFileAtThePath() throws Exception {
    AccessLogSpec spec = combined("access.log");
    Path rotated = tmp.resolve("access.log.1");
    log.log(spec, entry("/before"));
    awaitLines(spec.path(), 1);

    Files.move(spec.path(), rotated);
    log.reopen();
    log.log(spec, entry("/after"));
    log.close();

    assertThat(targets(Files.readAllLines(rotated))).containsExactly("/before");
    assertThat(targets(Files.readAllLines(spec.path()))).containsExactly("/after");
  }

  @Test
  void aFullQueueDropsAndCountsWithoutBlocking() throws Exception {
    log.close();
    CountDownLatch writerMayStart = new CountDownLatch(1);
    ThreadFactory heldWriter =
        task ->
            new Thread(
                () -> {
                  awaitQuietly(writerMayStart);
                  task.run();
                });
    log =
        new AccessLog(
            new PrintStream(out, true, StandardCharsets.UTF_8), 4, ZoneOffset.UTC, heldWriter);
    AccessLogSpec spec = combined("access.log");

    // Returning at all proves it: the writer is not running, so nothing frees room in the queue.
    for (int i = 0; i < 10; i++) {
      log.log(spec, entry("/" + i));
    }
    assertThat(log.dropped()).isEqualTo(6);

    writerMayStart.countDown();
    log.close();
    assertThat(targets(Files.readAllLines(spec.path()))).containsExactly("/0", "/1", "/2", "/3");
  }

  @Test
  void withNoFileOpenTheWriterSleepsUntilALineComesAndWritesItThen() throws Exception {
    log.close();
    List<Thread> writer = new ArrayList<>();
    ThreadFactory seen =
        task -> {
          Thread thread = new Thread(task);
          writer.add(thread);
          return thread;
        };
    log =
        new AccessLog(new PrintStream(out, true, StandardCharsets.UTF_8), 16, ZoneOffset.UTC, seen);

    // Parked without a deadline (WAITING, where a timed park is TIMED_WAITING): no periodic
    // wake-up.
    awaitState(writer.get(0), Thread.State.WAITING);
    AccessLogSpec spec = combined("access.log");
    log.log(spec, entry("/woken"));
    assertThat(targets(awaitLines(spec.path(), 1))).containsExactly("/woken");

    log.close();
    assertThat(writer.get(0).isAlive()).isFalse();
  }

  @Test
  void closeWritesEverythingQueuedAndLaterEntriesAreDropped() throws Exception {
    AccessLogSpec spec = combined("access.log");
    for (int i = 0; i < 1000; i++) {
      log.log(spec, entry("/" + i));
    }
    log.close();

    assertThat(Files.readAllLines(spec.path())).hasSize(1000);
    log.log(spec, entry("/late"));
    assertThat(log.dropped()).isEqualTo(1);
  }

  @Test
  void linesFromManyThreadsAreAllWrittenWhole() throws Exception {
    AccessLogSpec spec = combined("access.log");
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      String prefix = "/t" + t + "-";
      threads.add(
          Thread.ofPlatform()
              .start(
                  () -> {
                    for (int i = 0; i < 5000; i++) {
                      log.log(spec, entry(prefix + i));
                    }
                  }));
    }
    for (Thread t : threads) {
      t.join();
    }
    log.close();

    List<String> lines = Files.readAllLines(spec.path());
    assertThat(lines)
        .hasSize(20_000)
        .allMatch(line -> line.startsWith("127.0.0.1 - - [") && line.endsWith(" 0.001"));
    assertThat(targets(lines))
        .filteredOn(target -> target.startsWith("/t2-"))
        .hasSize(5000)
        .endsWith("/t2-4999");
  }

  @Test
  void aFileThatCannotBeWrittenIsReportedOnceAndItsLinesCounted() throws Exception {
    Files.writeString(tmp.resolve("not-a-dir"), "");
    AccessLogSpec spec = combined("not-a-dir/access.log");

    log.log(spec, entry("/1"));
    log.log(spec, entry("/2"));
    log.close();

    assertThat(log.dropped()).isEqualTo(2);
    assertThat(out.toString(StandardCharsets.UTF_8))
        .containsOnlyOnce("berth: access log " + spec.path() + ": cannot write");
  }

  private static List<String> targets(List<String> combinedLines) {
    List<String> targets = new ArrayList<>();
    for (String line : combinedLines) {
      Matcher m = TARGET.matcher(line);
      if (m.find()) {
        targets.add(m.group(1));
      }
    }
    return targets;
  }

  /** The file's lines once it has at least {@code count} of them. */
  private static List<String> awaitLines(Path file, int count) {
    return Await.value(
        count + " line(s) in " + file,
        () -> Files.exists(file) ? Files.readAllLines(file) : List.<String>of(),
        lines -> lines.size() >= count);
  }

  private static void awaitState(Thread thread, Thread.State state) {
    Await.until(thread.getName() + " is " + state, () -> thread.getState() == state);
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
