package dev.berth.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A command run to its end (git, ssh-keygen...): its exit code and its output, stdout and stderr
 * merged.
 */
public record Exec(int exit, String output) {

  /**
   * Runs {@code command} in {@code dir} with these variables added; kills it (and fails) past
   * {@code timeout}.
   */
  public static Exec run(Path dir, Map<String, String> env, Duration timeout, List<String> command)
      throws IOException, InterruptedException {
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
    builder.environment().putAll(env);
    Process process = LeftoverProcesses.mark(builder).start();
    CompletableFuture<String> output =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
              } catch (IOException e) {
                return "";
              }
            });
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
      throw new AssertionError(
          command + " did not finish within " + timeout + "; output:\n" + output.getNow(""));
    }
    return new Exec(process.exitValue(), output.join());
  }

  /** {@link #run(Path, Map, Duration, List)} with no extra variables, within a minute. */
  public static Exec run(Path dir, String... command) throws IOException, InterruptedException {
    return run(dir, Map.of(), Duration.ofMinutes(1), List.of(command));
  }

  /** Like {@link #run(Path, String...)}, and fails with the output when the exit code is not 0. */
  public static String ok(Path dir, String... command) throws IOException, InterruptedException {
    Exec exec = run(dir, command);
    if (exec.exit != 0) {
      throw new AssertionError(
          String.join(" ", command) + " exited with " + exec.exit + ":\n" + exec.output);
    }
    return exec.output;
  }
}
