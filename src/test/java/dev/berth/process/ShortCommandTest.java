package dev.berth.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.testing.Proc;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Short commands end, one way or another, with nothing left running. Each test marks the processes
 * it starts with a variable of their environment, which every process of the tree inherits, and
 * checks through /proc that none carries it afterwards.
 */
class ShortCommandTest {

  private static final Duration SHORT = Duration.ofSeconds(1);

  @TempDir Path tmp;
  private final String marker = "BERTH_TEST_MARKER=" + UUID.randomUUID();

  @AfterEach
  void nothingLeftBehind() {
    List<Long> left = marked();
    // Leave the machine clean even when the assertion fails.
    left.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
    assertThat(left).as("processes of the test's commands still running").isEmpty();
  }

  @Test
  void returnsTheExitCodeAndBothOutputs() throws Exception {
    CommandResult result = command("echo out; echo err >&2; exit 3").run();

    assertThat(result.exitCode()).isEqualTo(3);
    assertThat(result.ok()).isFalse();
    assertThat(result.stdout()).isEqualTo("out\n");
    assertThat(result.stderr()).isEqualTo("err\n");
  }

  @Test
  void aFailureSaysWhatExitedWithWhatAndItsLastLine() {
    assertThatThrownBy(
            () -> command("echo working; echo first >&2; echo 'no such file' >&2; exit 1").check())
        .isInstanceOfSatisfying(
            CommandException.class,
            e -> {
              assertThat(e).hasMessage("test-sh exited 1: no such file");
              assertThat(e.reason()).isEqualTo(CommandException.Reason.FAILED);
              assertThat(e.exitCode()).hasValue(1);
              assertThat(e.lastLines()).containsExactly("first", "no such file");
            });
  }

  @Test
  void aChildThatHangsHoldingItsOutputIsEndedWithItsTreeAtTheTimeout() {
    // The shell waits for a grandchild that shares its stdout: reading to the end would never end.
    List<String> lines = new CopyOnWriteArrayList<>();
    ShortCommand hang =
        command("sleep 600 & echo $!; wait").named("git fetch").timeout(SHORT).onLine(lines::add);

    assertThatThrownBy(hang::run)
        .isInstanceOfSatisfying(
            CommandException.class,
            e -> {
              assertThat(e).hasMessage("git fetch timed out after 1s");
              assertThat(e.reason()).isEqualTo(CommandException.Reason.TIMED_OUT);
            });
    assertThat(lines).hasSize(1);
    assertThat(running(Long.parseLong(lines.get(0)))).as("the sleeping grandchild").isFalse();
  }

  @Test
  void aGrandchildThatKeepsTheOutputAfterItsParentExitedIsEnded() throws Exception {
    // When the shell exits, the JDK drains and closes its pipes unless a read is under way, so the
    // call ends either with the shell (its output drained) or at the timeout: both are fine, as
    // long as it returns and the grandchild is gone.
    List<String> lines = new CopyOnWriteArrayList<>();
    ShortCommand leaves = command("sleep 600 & echo $!").timeout(SHORT).onLine(lines::add);

    try {
      assertThat(leaves.run().stdout()).isEqualTo(lines.get(0) + "\n");
    } catch (CommandException e) {
      assertThat(e).hasMessage("test-sh timed out after 1s");
      assertThat(e.lastLines()).isEqualTo(lines);
    }
    assertThat(lines).hasSize(1);
    assertThat(running(Long.parseLong(lines.get(0)))).isFalse();
  }

  @Test
  void whatItLeftRunningInItsSessionIsEndedWhenItExits() throws Exception {
    // A daemonized child with its output elsewhere: the command is done, its child goes with it.
    CommandResult result = command("sleep 600 </dev/null >/dev/null 2>&1 & echo $!").run();

    assertThat(result.ok()).isTrue();
    assertThat(running(Long.parseLong(result.stdout().strip()))).isFalse();
  }

  @Test
  void readsBothOutputsWhileItRuns() throws Exception {
    // More than a pipe holds, to stdout and then to stderr: a caller reading stdout to its end
    // first would wait for a child blocked on a full stderr.
    int size = 1 << 20;
    CommandResult result =
        command(
                "head -c "
                    + size
                    + " /dev/zero | tr '\\0' o; head -c "
                    + size
                    + " /dev/zero | tr '\\0' e >&2")
            .timeout(Duration.ofMinutes(1))
            .run();

    assertThat(result.ok()).isTrue();
    assertThat(result.stdout()).hasSize(size).matches("o+");
    assertThat(result.stderr()).hasSize(size).matches("e+");
  }

  @Test
  void writesItsStdinWhileReadingItsOutput() throws Exception {
    byte[] input = "line\n".repeat(100_000).getBytes(StandardCharsets.UTF_8);

    CommandResult result = command("cat").stdin(input).run();

    assertThat(result.stdout().getBytes(StandardCharsets.UTF_8)).isEqualTo(input);
  }

  @Test
  void mergedOutputComesAsLinesInTheOrderWritten() throws Exception {
    List<String> lines = new CopyOnWriteArrayList<>();
    CommandResult result =
        command("echo one; echo two >&2; printf three").mergeStderr().onLine(lines::add).run();

    assertThat(lines).containsExactly("one", "two", "three");
    assertThat(result.stdout()).isEqualTo("one\ntwo\nthree");
    assertThat(result.stderr()).isEmpty();
  }

  @Test
  void environmentAndDirectory() throws Exception {
    CommandResult inherited =
        command("echo \"$HOME|$ADDED|$GIT_DIR\" && pwd")
            .env("ADDED", "yes")
            .withoutEnv(name -> name.equals("HOME"))
            .directory(tmp)
            .run();
    assertThat(inherited.stdout()).isEqualTo("|yes|\n" + tmp.toRealPath() + "\n");

    CommandResult clean =
        ShortCommand.of("env").cleanEnv().env("ONLY", "this").env(marker(), markerValue()).run();
    assertThat(clean.stdout().lines()).containsExactlyInAnyOrder("ONLY=this", marker);
  }

  @Test
  void runsAsAnotherUser() throws Exception {
    Assumptions.assumeTrue(ShortCommand.of("id", "-u").check().stdout().strip().equals("0"));
    String[] nobody = ShortCommand.of("getent", "passwd", "nobody").check().stdout().split(":");
    RunAs user = new RunAs(Long.parseLong(nobody[2]), Long.parseLong(nobody[3]));

    CommandResult id = command("id -u; id -g").runAs(user).run();

    assertThat(id.stdout().lines()).containsExactly(nobody[2], nobody[3]);
  }

  @Test
  void aMissingProgramIsNamed() {
    assertThatThrownBy(
            () -> ShortCommand.of("no-such-program-here").env("PATH", "/usr/bin:/bin").run())
        .isInstanceOfSatisfying(
            CommandException.class,
            e -> {
              assertThat(e)
                  .hasMessage(
                      "cannot run no-such-program-here: no-such-program-here not found"
                          + " (PATH=/usr/bin:/bin)");
              assertThat(e.reason()).isEqualTo(CommandException.Reason.NOT_STARTED);
            });
  }

  @Test
  void anInterruptedCallerEndsTheCommand() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    AtomicReference<CommandException> thrown = new AtomicReference<>();
    Thread caller =
        Thread.ofPlatform()
            .start(
                () -> {
                  try {
                    command("sleep 600 & echo $!; wait").onLine(line -> started.countDown()).run();
                  } catch (CommandException e) {
                    thrown.set(e);
                  }
                });
    assertThat(started.await(1, TimeUnit.MINUTES)).as("the command started").isTrue();
    caller.interrupt();
    caller.join();

    assertThat(thrown.get().reason()).isEqualTo(CommandException.Reason.INTERRUPTED);
  }

  @Test
  void thePrefixThatStartsASessionAsAnotherUser() {
    assertThat(ShortCommand.sessionPrefix(Optional.empty())).containsExactly("setsid");
    assertThat(ShortCommand.sessionPrefix(Optional.of(new RunAs(65534, 65533))))
        .containsExactly("setsid", "setpriv", "--reuid=65534", "--regid=65533", "--init-groups");
  }

  @Test
  void durations() {
    assertThat(ShortCommand.describe(Duration.ofSeconds(60))).isEqualTo("60s");
    assertThat(ShortCommand.describe(Duration.ofMillis(1500))).isEqualTo("1.5s");
    assertThat(ShortCommand.describe(Duration.ofMillis(250))).isEqualTo("250ms");
  }

  /** {@code sh -c script}, marked, named "test-sh". */
  private ShortCommand command(String script) {
    return ShortCommand.of("sh", "-c", script).named("test-sh").env(marker(), markerValue());
  }

  private String marker() {
    return marker.substring(0, marker.indexOf('='));
  }

  private String markerValue() {
    return marker.substring(marker.indexOf('=') + 1);
  }

  private static boolean running(long pid) {
    return Proc.of(pid).map(Proc::running).orElse(false);
  }

  /** The processes whose environment holds this test's marker (a zombie's shows none). */
  private List<Long> marked() {
    byte[] wanted = marker.getBytes(StandardCharsets.UTF_8);
    try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
      return entries
          .map(p -> p.getFileName().toString())
          .filter(name -> name.chars().allMatch(Character::isDigit))
          .filter(name -> holds(Path.of("/proc", name, "environ"), wanted))
          .map(Long::parseLong)
          .toList();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static boolean holds(Path environ, byte[] wanted) {
    try {
      byte[] env = Files.readAllBytes(environ);
      for (int start = 0, end; start < env.length; start = end + 1) {
        end = start;
        while (end < env.length && env[end] != 0) {
          end++;
        }
        if (Arrays.equals(env, start, end, wanted, 0, wanted.length)) {
          return true;
        }
      }
      return false;
    } catch (IOException e) {
      return false;
    }
  }
}
