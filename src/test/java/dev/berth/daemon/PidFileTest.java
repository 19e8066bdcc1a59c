package dev.berth.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * berth.pid: locked from the start, the pid once berth serves, gone after a clean exit. (In one
 * JVM, a second lock is refused by the JDK, as another process is by the kernel.)
 */
class PidFileTest {

  @TempDir Path state;

  @Test
  void lockedWhileStartingNamesThePidOnceServingAndIsRemovedOnClose() throws Exception {
    Path file = state.resolve("berth.pid");
    // What a berth killed with SIGKILL left: not this berth's pid.
    Files.writeString(file, "99999999\n");
    long self = ProcessHandle.current().pid();

    try (PidFile pidFile = PidFile.lock(state)) {
      assertThat(file).hasContent("");
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
          .isEqualTo("rw-r--r--");
      PidFile.HeldException starting =
          catchThrowableOfType(PidFile.HeldException.class, () -> PidFile.lock(state));
      assertThat(starting).hasMessage("berth is already running (starting, " + file + ")");

      pidFile.serving();
      assertThat(file).hasContent(self + "\n");
      assertThat(PidFile.read(file)).isEqualTo(OptionalLong.of(self));
      PidFile.HeldException serving =
          catchThrowableOfType(PidFile.HeldException.class, () -> PidFile.lock(state));
      assertThat(serving).hasMessage("berth is already running (pid " + self + ", " + file + ")");
    }
    assertThat(file).doesNotExist();
    assertThat(PidFile.holder(state)).isEmpty();
  }

  @Test
  void aFileNobodyHoldsIsNoBerth() throws Exception {
    Files.writeString(state.resolve("berth.pid"), "12345\n");
    assertThat(PidFile.holder(state)).isEmpty();
    assertThat(PidFile.holder(state.resolve("missing"))).isEmpty();
    assertThat(PidFile.read(state.resolve("missing"))).isEmpty();
  }
}
