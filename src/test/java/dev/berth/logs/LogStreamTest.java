package dev.berth.logs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.testing.Await;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogStreamTest {

  private static final Instant T = Instant.parse("2026-11-24T19:35:03.123Z");
  private static final String PREFIX = "2026-11-24T19:35:03.123Z ";

  @TempDir Path tmp;
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
  }

  private Logs logs(LogSettings settings) throws IOException {
    Logs logs = new Logs(settings);
    toClose.add(logs);
    return logs;
  }

  private LogStream stream(LogSettings settings, LogStream.Tuning tuning) throws IOException {
    Files.createDirectories(settings.dir());
    LogStream stream = new LogStream("web", settings, tuning);
    toClose.add(stream);
    return stream;
  }

  private static LogLine line(String source, String text) {
    return new LogLine(T, "web", source, text);
  }

  private static List<String> texts(List<LogLine> lines) {
    return lines.stream().map(LogLine::text).toList();
  }

  private static List<String> read(Path file) {
    try {
      return Files.exists(file) ? Files.readAllLines(file) : List.of();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void linesLandInTheAppsFileAndARestartAppendsToIt() throws Exception {
    Path dir = tmp.resolve("state/log");
    Logs logs = logs(LogSettings.defaults(dir));
    logs.stream("web").append(line("web.1", "hello"));
    logs.stream("web").append(line("web.2", "world"));
    logs.berth().append(new LogLine(T, "berth", "berth", "started"));
    logs.close();

    Path file = dir.resolve("web.log");
    assertThat(read(file)).containsExactly(PREFIX + "web.1 | hello", PREFIX + "web.2 | world");
    assertThat(read(dir.resolve("berth.log"))).containsExactly(PREFIX + "berth | started");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)))
        .isEqualTo("rwx------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-r-----");

    Logs again = logs(LogSettings.defaults(dir));
    again.stream("web").append(line("web.1", "after restart"));
    again.close();
    assertThat(read(file))
        .containsExactly(
            PREFIX + "web.1 | hello", PREFIX + "web.2 | world", PREFIX + "web.1 | after restart");
    assertThat(logs.dropped() + again.dropped()).isZero();
  }

  @Test
  void rotationKeepsExactlyNFilesAndNeverSplitsOrLosesALine() throws Exception {
    Path dir = tmp.resolve("log");
    Files.createDirectories(dir);
    // Left by an earlier run that kept more files: older than anything kept now.
    Files.writeString(dir.resolve("web.log.3"), "old\n");
    Files.writeString(dir.resolve("web.log.4"), "older\n");
    int lineBytes = (PREFIX + "web.1 | line-00\n").length();
    // Three lines fit, a fourth would go past the limit.
    Logs logs = logs(new LogSettings(dir, 3L * lineBytes + lineBytes / 2, 2, 100));
    LogStream web = logs.stream("web");
    for (int i = 1; i <= 20; i++) {
      web.append(line("web.1", "line-%02d".formatted(i)));
    }
    logs.close();

    assertThat(read(dir.resolve("web.log.2"))).containsExactly(full(13), full(14), full(15));
    assertThat(read(dir.resolve("web.log.1"))).containsExactly(full(16), full(17), full(18));
    assertThat(read(dir.resolve("web.log"))).containsExactly(full(19), full(20));
    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("web.log", "web.log.1", "web.log.2");
    }
  }

  private static String full(int i) {
    return PREFIX + "web.1 | line-%02d".formatted(i);
  }

  @Test
  void aLineLongerThanTheLimitGetsAFileOfItsOwn() throws Exception {
    Path dir = tmp.resolve("log");
    Logs logs = logs(new LogSettings(dir, 100, 3, 100));
    LogStream web = logs.stream("web");
    web.append(line("web.1", "short"));
    web.append(line("web.1", "x".repeat(300)));
    web.append(line("web.1", "next"));
    logs.close();

    assertThat(read(dir.resolve("web.log.2"))).containsExactly(PREFIX + "web.1 | short");
    assertThat(read(dir.resolve("web.log.1")))
        .containsExactly(PREFIX + "web.1 | " + "x".repeat(300));
    assertThat(read(dir.resolve("web.log"))).containsExactly(PREFIX + "web.1 | next");
  }

  @Test
  void aStalledWriterDropsAndCountsWithoutBlockingAndThenSaysSo() throws Exception {
    CountDownLatch stalled = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Runnable stallOnce =
        () -> {
          if (stalled.getCount() > 0) {
            stalled.countDown();
            awaitQuietly(release);
          }
        };
    LogSettings settings = LogSettings.defaults(tmp.resolve("log"));
    LogStream web = stream(settings, new LogStream.Tuning(8, 1 << 20, 100, stallOnce));

    web.append(line("web.1", "first"));
    stalled.await(); // the writer holds "first" and waits inside its write: the queue is empty
    for (int i = 0; i < 8; i++) {
      web.append(line("web.1", "queued-" + i));
    }
    // Returning at all proves it: nothing frees room in the queue while the writer is stalled.
    for (int i = 0; i < 1000; i++) {
      web.append(line("web.1", "lost-" + i));
    }
    for (int i = 0; i < 3; i++) {
      web.append(line("web.2", "lost-" + i));
    }
    assertThat(web.dropped()).isEqualTo(1003);
    assertThat(read(web.file())).isEmpty();

    release.countDown();
    String web1 = "dropped 1000 line(s) from web.1: log writer behind (slow disk?)";
    String web2 = "dropped 3 line(s) from web.2: log writer behind (slow disk?)";
    Await.until("the drops are reported in the file", () -> read(web.file()).size() == 11);
    web.close();

    List<String> file = read(web.file());
    assertThat(file.subList(0, 9))
        .containsExactlyElementsOf(
            IntStream.range(-1, 8)
                .mapToObj(i -> PREFIX + "web.1 | " + (i < 0 ? "first" : "queued-" + i))
                .toList());
    assertThat(file.subList(9, 11))
        .allMatch(
            l ->
                l.matches(
                    "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z berth \\| dropped .*"))
        .map(l -> l.substring(l.indexOf(" | ") + 3))
        .containsExactlyInAnyOrder(web1, web2);
    List<LogLine> ring = web.tail(100, l -> true);
    assertThat(texts(ring).subList(9, 11)).containsExactlyInAnyOrder(web1, web2);
    assertThat(ring.get(9).source()).isEqualTo("berth");
    assertThat(web.dropped()).isEqualTo(1003);
  }

  @Test
  void underLoadEveryLineIsEitherInTheFilesInOrderOrCountedAsDropped() throws Exception {
    Path dir = tmp.resolve("log");
    Logs logs = logs(new LogSettings(dir, 256 * 1024, 100, 1000));
    LogStream web = logs.stream("web");
    int threads = 4;
    int perThread = 20_000;
    List<Thread> appenders = new ArrayList<>();
    for (int t = 1; t <= threads; t++) {
      String source = "web." + t;
      appenders.add(
          Thread.ofPlatform()
              .start(
                  () -> {
                    for (int i = 0; i < perThread; i++) {
                      web.append(source, Integer.toString(i));
                    }
                  }));
    }
    for (Thread t : appenders) {
      t.join();
    }
    logs.close();

    List<String> all = new ArrayList<>();
    for (int n = 100; n >= 1; n--) {
      all.addAll(read(dir.resolve("web.log." + n)));
    }
    all.addAll(read(dir.resolve("web.log")));
    Pattern format =
        Pattern.compile("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z (\\S+) \\| (.*)");
    Pattern drop = Pattern.compile("dropped (\\d+) line\\(s\\) from (\\S+): .*");
    Map<String, Integer> next = new HashMap<>();
    Map<String, Long> accounted = new HashMap<>();
    for (String line : all) {
      Matcher m = format.matcher(line);
      assertThat(m.matches()).as(line).isTrue();
      if (m.group(1).equals("berth")) {
        Matcher d = drop.matcher(m.group(2));
        assertThat(d.matches()).as(line).isTrue();
        accounted.merge(d.group(2), Long.parseLong(d.group(1)), Long::sum);
        continue;
      }
      int i = Integer.parseInt(m.group(2));
      assertThat(i)
          .as("order of " + m.group(1))
          .isGreaterThanOrEqualTo(next.getOrDefault(m.group(1), 0));
      next.put(m.group(1), i + 1);
      accounted.merge(m.group(1), 1L, Long::sum);
    }
    for (int t = 1; t <= threads; t++) {
      assertThat(accounted.get("web." + t)).as("web." + t).isEqualTo(perThread);
    }
    assertThat(accounted).hasSize(threads);
    assertThat(web.dropped())
        .isEqualTo((long) threads * perThread - (all.size() - countBerth(all)));
  }

  private static long countBerth(List<String> lines) {
    return lines.stream().filter(l -> l.contains(" berth | ")).count();
  }

  @Test
  void tailGivesTheLastMatchingLinesOfTheRing() throws Exception {
    Logs logs = logs(new LogSettings(tmp.resolve("log"), 1 << 20, 1, 5));
    LogStream web = logs.stream("web");
    for (int i = 1; i <= 10; i++) {
      web.append(line("web." + (i % 2 + 1), "l" + i));
    }
    Await.until(
        "the ring has the last line", () -> texts(web.tail(1, l -> true)).equals(List.of("l10")));

    assertThat(texts(web.tail(100, l -> true))).containsExactly("l6", "l7", "l8", "l9", "l10");
    assertThat(texts(web.tail(2, l -> true))).containsExactly("l9", "l10");
    assertThat(texts(web.tail(100, l -> l.source().equals("web.2")))).containsExactly("l7", "l9");
    assertThat(texts(web.tail(1, l -> l.source().equals("web.1")))).containsExactly("l10");
    assertThat(web.tail(0, l -> true)).isEmpty();
    assertThatThrownBy(() -> web.tail(-1, l -> true)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void followGetsTheBacklogAndNewLinesAndNothingAfterClose() throws Exception {
    Logs logs = logs(LogSettings.defaults(tmp.resolve("log")));
    LogStream web = logs.stream("web");
    web.append(line("web.1", "old-1"));
    web.append(line("web.2", "old-2"));
    web.append(line("web.1", "old-3"));
    Await.until("the ring has the old lines", () -> web.tail(10, l -> true).size() == 3);

    List<String> all = new CopyOnWriteArrayList<>();
    List<String> web1 = new CopyOnWriteArrayList<>();
    LogStream.Following following = web.follow(line -> all.add(line.text()));
    LogStream.Following following1 =
        web.follow(5, l -> l.source().equals("web.1"), line -> web1.add(line.text()));
    web.append(line("web.1", "a"));
    web.append(line("web.2", "b"));
    Await.until("both lines followed", () -> all.size() == 2 && web1.size() == 3);
    assertThat(all).containsExactly("a", "b");
    assertThat(web1).containsExactly("old-1", "old-3", "a");

    following.close();
    following.close();
    web.append(line("web.1", "c"));
    Await.until("the other follower got c", () -> web1.size() == 4);
    assertThat(texts(web.tail(1, l -> true))).containsExactly("c");
    assertThat(all).containsExactly("a", "b");

    // Closing the stream delivers what was appended before, then following ends.
    web.append(line("web.1", "last"));
    logs.close();
    Await.until("the last line followed", () -> web1.size() == 5);
    assertThat(web1).endsWith("c", "last");
    following1.close();
  }

  @Test
  void aSlowFollowerSkipsLinesWithANoticeAndNeverHoldsUpTheFile() throws Exception {
    LogSettings settings = LogSettings.defaults(tmp.resolve("log"));
    LogStream web = stream(settings, new LogStream.Tuning(1000, 1 << 20, 4, () -> {}));
    CountDownLatch inConsumer = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    List<String> got = new CopyOnWriteArrayList<>();
    web.follow(
        l -> {
          got.add(l.text());
          inConsumer.countDown();
          awaitQuietly(release);
        });

    web.append(line("web.1", "l0"));
    inConsumer.await();
    for (int i = 1; i <= 11; i++) {
      web.append(line("web.1", "l" + i));
    }
    Await.until(
        "the file has every line although the follower is stuck",
        () -> read(web.file()).size() == 12);

    release.countDown();
    Await.until("the follower got what was queued for it", () -> got.size() == 5);
    web.append(line("web.1", "l12"));
    Await.until("the follower got the notice and the next line", () -> got.size() == 7);
    assertThat(got)
        .containsExactly(
            "l0",
            "l1",
            "l2",
            "l3",
            "l4",
            "dropped 7 line(s) from this log: follower behind",
            "l12");
    assertThat(web.dropped()).isZero();
  }

  @Test
  void aFileThatCannotBeWrittenKeepsLinesInMemoryAndSaysWhatTheFileMissed() throws Exception {
    LogSettings settings = LogSettings.defaults(tmp.resolve("log"));
    Files.createDirectories(settings.dir().resolve("web.log")); // a directory where the file goes
    LogStream web = stream(settings, LogStream.Tuning.DEFAULT);

    web.append(line("web.1", "unwritten"));
    Await.until(
        "the failure is in memory and counted",
        () -> web.tail(10, l -> true).size() == 2 && web.dropped() == 1);
    assertThat(web.tail(10, l -> true).get(0).text()).isEqualTo("unwritten");
    assertThat(web.tail(10, l -> true).get(1).text()).startsWith("cannot write " + web.file());

    Files.delete(web.file());
    // The writer tries again at most once a second; until then, lines still miss the file.
    int[] retries = {0};
    Await.until(
        "the file comes back with the drop notice and a line",
        () -> {
          if (Files.isRegularFile(web.file()) && read(web.file()).size() >= 2) {
            return true;
          }
          web.append(line("web.1", "retry-" + retries[0]++));
          return false;
        });
    web.close();

    List<String> file = read(web.file());
    long missed = web.dropped();
    assertThat(file.get(0))
        .contains(" berth | dropped " + missed + " line(s) from this file: cannot write ");
    assertThat(file.get(1)).contains(" web.1 | retry-");
  }

  @Test
  void closeIsIdempotentAndLaterLinesAreCountedAsDropped() throws Exception {
    Logs logs = logs(LogSettings.defaults(tmp.resolve("log")));
    LogStream web = logs.stream("web");
    web.append(line("web.1", "kept"));
    logs.close();
    logs.close();
    web.append(line("web.1", "late"));
    logs.stream("other").append(new LogLine(T, "other", "other.1", "late too"));

    assertThat(read(web.file())).containsExactly(PREFIX + "web.1 | kept");
    assertThat(web.dropped()).isEqualTo(1);
    assertThat(logs.dropped()).isEqualTo(2);
  }

  @Test
  void streamsAreMadeOnceAndBerthsNameIsReserved() throws Exception {
    Logs logs = logs(LogSettings.defaults(tmp.resolve("log")));
    assertThat(logs.stream("web")).isSameAs(logs.stream("web"));
    assertThat(logs.berth().file()).isEqualTo(tmp.resolve("log/berth.log"));
    assertThatThrownBy(() -> logs.stream("berth")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> logs.stream("../x")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> logs.stream("web").append(new LogLine(T, "api", "api.1", "x")))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
