package dev.berth.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A real berth daemon in a child JVM, as a user runs it: `berth up --config FILE`. Collects its
 * output, knows when it is serving, and makes sure that it and every process it started are gone
 * when the test ends.
 */
public final class BerthProcess implements AutoCloseable {

  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

  private final Process process;
  private final OutputLines output;

  private BerthProcess(Process process) {
    this.process = process;
    this.output = new OutputLines(process);
  }

  /** Runs {@code berth ARGS...} in a child JVM with this test's classpath. */
  public static BerthProcess start(String... args) throws IOException {
    return start(List.of("-Xmx256m"), args);
  }

  /** Runs {@code berth ARGS...} in a child JVM with these JVM options (heap size, say). */
  public static BerthProcess start(List<String> jvmOptions, String... args) throws IOException {
    return launch(List.of(), jvmOptions, args);
  }

  /**
   * {@code berth up} started with {@code signal} ("INT") ignored, as a background job of a
   * non-interactive shell or a CI runner's {@code trap '' INT} starts it; waits until it serves.
   */
  public static BerthProcess upIgnoring(String signal, Path config) throws IOException {
    BerthProcess berth =
        launch(
            List.of("/bin/sh", "-c", "trap '' " + signal + "; exec \"$@\"", "sh"),
            List.of("-Xmx256m"),
            "up",
            "--config",
            config.toString());
    berth.awaitLine("berth: serving on", READY_TIMEOUT);
    return berth;
  }

  /** berth's JVM, exec'd by {@code prefix} (a shell that sets something up first) if any. */
  private static BerthProcess launch(List<String> prefix, List<String> jvmOptions, String... args)
      throws IOException {
    List<String> command = new ArrayList<>(prefix);
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.add("-XX:+UseSerialGC");
    command.addAll(jvmOptions);
    command.add("--enable-native-access=ALL-UNNAMED");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add("dev.berth.Main");
    command.addAll(echoed(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    return new BerthProcess(LeftoverProcesses.mark(builder).start());
  }

  /**
   * {@code up} in the foreground with {@code --echo}: tests read the apps' lines from berth's
   * output, which is no terminal.
   */
  private static List<String> echoed(String... args) {
    List<String> list = new ArrayList<>(List.of(args));
    if (!list.isEmpty()
        && list.get(0).equals("up")
        && !list.contains("--detach")
        && !list.contains("-d")) {
      list.add(1, "--echo");
    }
    return list;
  }

  /**
   * berth as {@code builder} starts it (a JVM command line a test built: run as another user, say),
   * its output collected and its processes marked as this test run's.
   */
  public static BerthProcess launch(ProcessBuilder builder) throws IOException {
    List<String> command = builder.command();
    int main = command.indexOf("dev.berth.Main");
    if (main >= 0) {
      List<String> echoed = new ArrayList<>(command.subList(0, main + 1));
      echoed.addAll(echoed(command.subList(main + 1, command.size()).toArray(String[]::new)));
      builder.command(echoed);
    }
    return new BerthProcess(LeftoverProcesses.mark(builder.redirectErrorStream(true)).start());
  }

  /** Starts `berth up` on the config and waits until it says it is serving. */
  public static BerthProcess up(Path config) throws IOException {
    return up(config, List.of("-Xmx256m"));
  }

  /** Writes a config that listens on {@code port}. */
  @FunctionalInterface
  public interface ConfigForPort {
    Path write(int port) throws Exception;
  }

  /**
   * {@code berth up} on a free port; on another one if that was taken between choosing and binding
   * (up to three tries).
   */
  public static BerthProcess upOnFreePort(ConfigForPort config) throws Exception {
    for (int attempt = 1; ; attempt++) {
      Path file = config.write(freePort());
      BerthProcess berth = start("up", "--config", file.toString());
      try {
        berth.awaitLine("berth: serving on", READY_TIMEOUT);
        return berth;
      } catch (AssertionError e) {
        berth.close();
        if (attempt == 3 || !berth.output().contains("is already in use")) {
          throw e;
        }
      }
    }
  }

  /** {@link #up(Path)} with these JVM options. */
  public static BerthProcess up(Path config, List<String> jvmOptions) throws IOException {
    BerthProcess berth = start(jvmOptions, "up", "--config", config.toString());
    berth.awaitLine("berth: serving on", READY_TIMEOUT);
    return berth;
  }

  /**
   * Waits for an output line containing {@code text}; fails with the output so far if none comes.
   */
  public String awaitLine(String text, Duration timeout) {
    try {
      return output
          .await(line -> line.contains(text), timeout)
          .orElseThrow(
              () ->
                  new AssertionError("berth never printed \"" + text + "\"; output:\n" + output()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  public String output() {
    return output.text();
  }

  /** Everything berth started and that is still running (its whole tree). */
  public Set<ProcessHandle> descendants() {
    return process.descendants().collect(Collectors.toSet());
  }

  public long pid() {
    return process.pid();
  }

  /** SIGTERM, as systemd or `kill` would send; returns the exit code. */
  public int terminate(Duration timeout) throws InterruptedException {
    // Through the handle: Process.destroy() would also close our end of berth's output.
    process.toHandle().destroy();
    assertThat(process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS))
        .as("berth exits after SIGTERM; output:\n%s", output())
        .isTrue();
    output.awaitEnd(Duration.ofSeconds(5));
    return process.exitValue();
  }

  /** Waits for berth to exit by itself (a command that is not a daemon); returns the exit code. */
  public int waitFor(Duration timeout) throws InterruptedException {
    assertThat(process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS))
        .as("berth exits")
        .isTrue();
    output.awaitEnd(Duration.ofSeconds(5));
    return process.exitValue();
  }

  /** Whatever happened in the test: nothing berth started survives it. */
  @Override
  public void close() {
    Set<ProcessHandle> tree = descendants();
    if (process.isAlive()) {
      process.destroyForcibly();
    }
    tree.forEach(ProcessHandle::destroyForcibly);
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A TCP port free right now on 127.0.0.1. */
  public static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    }
  }

  /** The repository's directory (tests run with it as the working directory). */
  public static Path repo() {
    return Path.of("").toAbsolutePath();
  }

  /** The test Flask app, from test resources. */
  public static Path testApp() {
    return repo().resolve("src/test/resources/testapp");
  }

  public static Path write(Path file, String text) throws IOException {
    Files.createDirectories(file.getParent());
    return Files.writeString(file, text);
  }
}
