package dev.berth.logs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.testing.Await;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LinePumpTest {

  @TempDir Path tmp;
  private Logs logs;
  private LogStream web;

  @BeforeEach
  void setUp() throws IOException {
    logs = new Logs(LogSettings.defaults(tmp.resolve("log")));
    web = logs.stream("web");
  }

  @AfterEach
  void tearDown() {
    logs.close();
  }

  /** Runs the shell script as an instance would run, pumps its output and returns the lines. */
  private List<LogLine> pumpProcess(String script, PrintStream copy) throws Exception {
    Process process = new ProcessBuilder("/bin/sh", "-c", script).redirectErrorStream(true).start();
    LinePump pump =
        copy == null
            ? LinePump.start("web.1", process.getInputStream(), web)
            : LinePump.start("web.1", process.getInputStream(), web, copy);
    assertThat(pump.awaitEnd(Duration.ofSeconds(10))).isTrue();
    process.waitFor();
    return linesOnceWritten();
  }

  /** Everything the pump appended, once the stream's writer has put it in the ring. */
  private List<LogLine> linesOnceWritten() {
    // A marker line through the same stream: once it is in the ring, all before it is too.
    web.append("test", "end");
    Await.until(
        "the stream wrote the lines",
        () -> web.tail(1, l -> true).stream().anyMatch(l -> l.source().equals("test")));
    return web.tail(1000, l -> l.source().equals("web.1"));
  }

  private static List<String> texts(List<LogLine> lines) {
    return lines.stream().map(LogLine::text).toList();
  }

  @Test
  void eachLineAndAFinalPartialLineIsLoggedAndCopied() throws Exception {
    ByteArrayOutputStream copied = new ByteArrayOutputStream();
    PrintStream copy = new PrintStream(copied, true, StandardCharsets.UTF_8);

    List<LogLine> lines = pumpProcess("printf 'a\\nb\\n'; printf 'partial'", copy);

    assertThat(texts(lines)).containsExactly("a", "b", "partial");
    assertThat(lines).allMatch(l -> l.app().equals("web") && l.source().equals("web.1"));
    assertThat(copied.toString(StandardCharsets.UTF_8).lines())
        .containsExactly("web.1 | a", "web.1 | b", "web.1 | partial");
  }

  @Test
  void aLongLineIsSplitIntoPiecesOfAtMost16KiB() throws Exception {
    List<LogLine> lines =
        pumpProcess("head -c 40000 /dev/zero | tr '\\0' x; echo; echo after", null);

    assertThat(lines).extracting(l -> l.text().length()).containsExactly(16384, 16384, 7232, 5);
    assertThat(String.join("", texts(lines.subList(0, 3)))).isEqualTo("x".repeat(40000));
  }

  @Test
  void invalidUtf8BecomesReplacementCharactersAndCrLfEndsALine() throws Exception {
    List<LogLine> lines =
        pumpProcess(
            "printf 'ok\\377\\376end\\n'; printf 'caf\\303\\251\\r\\n'; echo still here", null);

    assertThat(texts(lines)).containsExactly("ok\uFFFD\uFFFDend", "café", "still here");
  }

  @Test
  void aSplitNeverCutsACharacterInTwo() {
    String text = "a" + "é".repeat(10_000); // the 16 KiB boundary falls inside an é
    LinePump pump =
        LinePump.start(
            "web.1", new ByteArrayInputStream((text + "\n").getBytes(StandardCharsets.UTF_8)), web);
    assertThat(pump.awaitEnd(Duration.ofSeconds(10))).isTrue();

    List<String> pieces = texts(linesOnceWritten());
    assertThat(pieces).hasSize(2).noneMatch(piece -> piece.contains("\uFFFD"));
    assertThat(pieces.get(0).getBytes(StandardCharsets.UTF_8)).hasSize(16383);
    assertThat(String.join("", pieces)).isEqualTo(text);
  }

  @Test
  void lastLinesKeepsTheFortyLatest() throws Exception {
    Process process = new ProcessBuilder("/bin/sh", "-c", "seq 1 50").start();
    LinePump pump = LinePump.start("web.1", process.getInputStream(), web);

    assertThat(pump.awaitEnd(Duration.ofSeconds(10))).isTrue();
    List<String> last = pump.lastLines();

    assertThat(last).hasSize(40).startsWith("11").endsWith("50");
  }

  @Test
  void boundaryStepsBackOnlyOverAnIncompleteSequence() {
    byte[] euro = "€".getBytes(StandardCharsets.UTF_8); // 3 bytes
    assertThat(LinePump.boundary(new byte[] {'a', euro[0], euro[1]}, 3)).isEqualTo(1);
    assertThat(LinePump.boundary(new byte[] {'a', euro[0], euro[1], euro[2]}, 4)).isEqualTo(4);
    assertThat(LinePump.boundary(new byte[] {'a', 'b'}, 2)).isEqualTo(2);
    assertThat(
            LinePump.boundary(
                new byte[] {'a', (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80}, 5))
        .isEqualTo(5);
  }

  /** Output read in these chunks, the clock set to each chunk's time as it is read. */
  private static InputStream chunks(AtomicLong clock, long[] times, String... texts) {
    Iterator<byte[]> bytes =
        Arrays.stream(texts).map(t -> t.getBytes(StandardCharsets.UTF_8)).iterator();
    Iterator<Long> at = Arrays.stream(times).iterator();
    return new InputStream() {
      @Override
      public int read() {
        throw new UnsupportedOperationException();
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (!bytes.hasNext()) {
          return -1;
        }
        byte[] chunk = bytes.next();
        clock.set(at.next());
        System.arraycopy(chunk, 0, b, off, chunk.length);
        return chunk.length;
      }
    };
  }

  private static String numbered(int from, int to) {
    StringBuilder text = new StringBuilder();
    for (int i = from; i <= to; i++) {
      text.append(i).append('\n');
    }
    return text.toString();
  }

  private List<String> berthLines() {
    linesOnceWritten();
    return texts(web.tail(1000, l -> l.source().equals(Logs.BERTH)));
  }

  @Test
  void linesPastTheRateAreDroppedAndCounted() {
    AtomicLong clock = new AtomicLong();
    LinePump pump =
        LinePump.start(
            "web.1", chunks(clock, new long[] {0}, numbered(1, 100)), web, 10, null, clock::get);
    assertThat(pump.awaitEnd(Duration.ofSeconds(10))).isTrue();

    assertThat(texts(linesOnceWritten()))
        .containsExactlyElementsOf(numbered(1, 10).lines().toList());
    assertThat(berthLines())
        .containsExactly("web.1: 90 line(s) dropped in 0 s (log_rate_limit 10/s)");
    assertThat(pump.droppedLines()).isEqualTo(90);
  }

  @Test
  void dropsAreReportedEveryTenSecondsAndWhenTheFloodEnds() {
    AtomicLong clock = new AtomicLong();
    long s = 1_000_000_000L;
    LinePump pump =
        LinePump.start(
            "web.1",
            chunks(
                clock,
                new long[] {0, 5 * s, 10 * s, 11 * s, 12 * s, 14 * s + s / 2},
                numbered(1, 100),
                numbered(101, 200),
                numbered(201, 300),
                numbered(301, 305),
                numbered(306, 405),
                "quiet\n"),
            web,
            10,
            null,
            clock::get);
    assertThat(pump.awaitEnd(Duration.ofSeconds(10))).isTrue();

    assertThat(berthLines())
        .containsExactly(
            "web.1: 270 line(s) dropped in 10 s (log_rate_limit 10/s)",
            "web.1: 90 line(s) dropped in 2.5 s (log_rate_limit 10/s)");
    assertThat(texts(linesOnceWritten())).hasSize(10 + 10 + 10 + 5 + 10 + 1).endsWith("quiet");
  }

  @Test
  void outputBetweenDropsAtTheLimitIsNoReasonToReport() {
    AtomicLong clock = new AtomicLong();
    long s = 1_000_000_000L;
    LinePump pump =
        LinePump.start(
            "web.1",
            chunks(
                clock,
                new long[] {0, s / 2, s / 2 + s / 10, s},
                numbered(1, 100),
                numbered(101, 103),
                numbered(104, 120),
                numbered(121, 122)),
            web,
            10,
            null,
            clock::get);
    assertThat(pump.awaitEnd(Duration.ofSeconds(10))).isTrue();

    // 90 dropped, none in the next chunk (half a second later), 14 more, none, then the end.
    assertThat(berthLines())
        .containsExactly("web.1: 104 line(s) dropped in 1 s (log_rate_limit 10/s)");
  }

  @Test
  void aDroppedLongLineIsDroppedWhole() {
    AtomicLong clock = new AtomicLong();
    String longLine = "x".repeat(3 * LinePump.MAX_LINE_BYTES) + "\n";
    LinePump pump =
        LinePump.start(
            "web.1",
            chunks(clock, new long[] {0, 0, 0}, "kept\n", longLine, "dropped too\n"),
            web,
            1,
            null,
            clock::get);
    assertThat(pump.awaitEnd(Duration.ofSeconds(10))).isTrue();

    assertThat(texts(linesOnceWritten())).containsExactly("kept");
    assertThat(pump.droppedLines()).isEqualTo(2);
  }

  @Test
  void secondsAreWholeFromTenOn() {
    assertThat(LinePump.seconds(0)).isEqualTo("0");
    assertThat(LinePump.seconds(2_500_000_000L)).isEqualTo("2.5");
    assertThat(LinePump.seconds(10_040_000_000L)).isEqualTo("10");
  }
}
