package dev.berth.git;

import static java.util.Objects.requireNonNull;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How a program that does not share berth's environment (a git hook, run with PATH=/usr/bin:/bin
 * and no JAVA_HOME over SSH) runs this same berth: every path in it is absolute.
 *
 * @param command the words to run, before berth's own arguments
 * @param how what it is, for a person: "the launcher /opt/berth/berth" or "java ..."
 */
public record BerthInvocation(List<String> command, String how) {

  public BerthInvocation {
    command = List.copyOf(command);
    requireNonNull(how, "how");
    if (command.isEmpty()) {
      throw new IllegalArgumentException("empty command");
    }
  }

  /**
   * The berth running now: its launcher if it was started through one, else its JVM and classpath.
   */
  public static BerthInvocation current() {
    return of(
        System.getenv(),
        ProcessHandle.current().info().command(),
        Path.of(System.getProperty("java.home")),
        System.getProperty("java.class.path"),
        Path.of("").toAbsolutePath());
  }

  /**
   * The launcher exports {@code BERTH_LAUNCHER}, its own resolved path; it finds a JDK by itself
   * and rebuilds the jar when the sources changed, so it is preferred. Without it (java -jar, or
   * tests running berth in their JVM), the running JVM's binary and the classpath, made absolute.
   *
   * @param javaCommand the running JVM's executable, when the OS tells it
   * @param javaHome the running JVM's java.home, for when it does not
   * @param classPath java.class.path, entries possibly relative to {@code workingDir}
   */
  static BerthInvocation of(
      Map<String, String> env,
      Optional<String> javaCommand,
      Path javaHome,
      String classPath,
      Path workingDir) {
    String launcher = env.get("BERTH_LAUNCHER");
    if (launcher != null && !launcher.isBlank()) {
      Path path = Path.of(launcher);
      // A stale variable (inherited by an app, say) must not win over what really runs now.
      if (path.isAbsolute() && Files.isRegularFile(path) && Files.isExecutable(path)) {
        return new BerthInvocation(List.of(path.toString()), "the launcher " + path);
      }
    }
    String java =
        javaCommand
            .filter(c -> Path.of(c).isAbsolute())
            .orElse(javaHome.resolve("bin/java").toString());
    List<String> entries = new ArrayList<>();
    for (String entry : classPath.split(File.pathSeparator)) {
      if (!entry.isEmpty()) {
        entries.add(workingDir.resolve(entry).normalize().toString());
      }
    }
    List<String> command =
        List.of(
            java,
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-cp",
            String.join(File.pathSeparator, entries),
            "dev.berth.Main");
    return new BerthInvocation(
        command,
        "java " + java + " with berth's classpath (no launcher: BERTH_LAUNCHER was not set)");
  }
}
