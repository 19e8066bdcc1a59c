package dev.berth.git;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BerthInvocationTest {

  @TempDir Path tmp;

  private static final Path JAVA_HOME = Path.of("/usr/lib/jvm/some-jdk");

  @Test
  void theLauncherWhenItSaysWhereItIs() throws Exception {
    Path launcher = executable(tmp.resolve("berth"));

    BerthInvocation berth =
        BerthInvocation.of(
            Map.of("BERTH_LAUNCHER", launcher.toString()),
            Optional.of("/usr/bin/java"),
            JAVA_HOME,
            "x.jar",
            tmp);

    assertThat(berth.command()).containsExactly(launcher.toString());
    assertThat(berth.how()).isEqualTo("the launcher " + launcher);
  }

  @Test
  void theJvmAndAnAbsoluteClasspathWithoutALauncher() {
    BerthInvocation berth =
        BerthInvocation.of(
            Map.of(),
            Optional.of("/opt/jdk/bin/java"),
            JAVA_HOME,
            "target/berth.jar:/abs/lib/picocli.jar:",
            tmp);

    assertThat(berth.command())
        .containsExactly(
            "/opt/jdk/bin/java",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-cp",
            tmp.resolve("target/berth.jar") + ":/abs/lib/picocli.jar",
            "dev.berth.Main");
    assertThat(berth.how()).startsWith("java /opt/jdk/bin/java");
  }

  @Test
  void aLauncherThatIsNotThereOrNotAbsoluteIsIgnored() throws Exception {
    for (String launcher :
        new String[] {
          tmp.resolve("gone").toString(),
          "berth",
          "",
          Files.createFile(tmp.resolve("plain")).toString()
        }) {
      BerthInvocation berth =
          BerthInvocation.of(
              Map.of("BERTH_LAUNCHER", launcher),
              Optional.of("/opt/jdk/bin/java"),
              JAVA_HOME,
              "/a.jar",
              tmp);
      assertThat(berth.command()).as(launcher).first().isEqualTo("/opt/jdk/bin/java");
    }
  }

  @Test
  void javaHomeWhenTheOsDoesNotTellTheJvmsPath() {
    BerthInvocation berth =
        BerthInvocation.of(Map.of(), Optional.empty(), JAVA_HOME, "/a.jar", tmp);

    assertThat(berth.command()).first().isEqualTo("/usr/lib/jvm/some-jdk/bin/java");
  }

  @Test
  void theRunningJvmIsAbsolute() {
    assertThat(Path.of(BerthInvocation.current().command().get(0))).isAbsolute();
  }

  private static Path executable(Path file) throws Exception {
    Files.writeString(file, "#!/bin/sh\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    return file;
  }
}
