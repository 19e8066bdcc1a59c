package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.config.UserAccount;
import dev.berth.testing.Await;
import dev.berth.testing.BerthProcess;
import dev.berth.testing.Cli;
import dev.berth.testing.LeftoverProcesses;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code berth run} against a real root berth whose app runs as nobody: a one-off gets the app's
 * release, user and environment, its exit code comes back, it has the terminal when there is one
 * (under {@code script}'s pseudo-terminal: input, Ctrl-C), and {@code --detach} puts its output in
 * the app's log and is ended when berth stops.
 */
class RunEndToEndTest {

  private static final Duration EXIT = Duration.ofSeconds(60);

  /** Prints what a one-off sees, as JSON on one line, and exits 7. */
  private static final String SHOW =
      """
      import json, os, sys
      print(json.dumps({"data": os.environ.get("BERTH_DATA_DIR"),
          "dotenv": os.environ.get("FROM_DOTENV"), "config": os.environ.get("FROM_CONFIG"),
          "stored": os.environ.get("STORED"), "type": os.environ.get("BERTH_PROCESS_TYPE"),
          "path": os.environ.get("PATH"), "uid": os.getuid(), "cwd": os.getcwd(),
          "tty": sys.stdin.isatty()}))
      sys.exit(7)
      """;

  @TempDir Path tmp;
  private Path config;

  @Test
  void oneOffsRunInTheReleaseAsTheAppsUserWithItsEnvironment() throws Exception {
    Assumptions.assumeTrue(UserAccount.currentUid() == 0, "berth must run as root for this test");
    UserAccount nobody = UserAccount.lookup("nobody").orElseThrow();
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path source = Files.createDirectory(tmp.resolve("src"));
    Files.writeString(source.resolve(".env"), "FROM_DOTENV=dotenv-value\n");
    Files.writeString(source.resolve("index.html"), "hello\n");
    try (BerthProcess berth =
        BerthProcess.upOnFreePort(
            port ->
                config =
                    BerthProcess.write(
                        tmp.resolve("berth.toml"),
                        """
                        state_dir = "%1$s/state"

                        [[listeners]]
                        address = "127.0.0.1:%2$d"

                        [apps.notes]
                        dir = "%1$s/src"
                        command = "/usr/bin/python3 -m http.server --bind 127.0.0.1 $PORT"
                        socket = "tcp"
                        env = { FROM_CONFIG = "config-value" }
                        stop_timeout = "2s"
                        drain_timeout = "1s"

                        [[routes]]
                        app = "notes"
                        """
                            .formatted(tmp, port)))) {
      Cli set = Cli.run(config, "env", "notes", "set", "STORED=stored-value");
      assertThat(set.exit()).as(set.out() + set.err()).isZero();
      Path release = tmp.resolve("state/apps/notes/current").toRealPath();

      // Not a terminal: the output passes through, the exit code comes back.
      Ran shown = berth("run", "notes", "--", "/usr/bin/python3", "-c", SHOW);
      assertThat(shown.exit()).as(shown.output()).isEqualTo(7);
      JsonNode seen = new ObjectMapper().readTree(shown.line("{"));
      assertThat(seen.path("uid").asLong()).isEqualTo(nobody.uid());
      assertThat(seen.path("cwd").asText()).isEqualTo(release.toString());
      assertThat(seen.path("data").asText()).isEqualTo(tmp.resolve("state/data/notes").toString());
      assertThat(seen.path("dotenv").asText()).isEqualTo("dotenv-value");
      assertThat(seen.path("config").asText()).isEqualTo("config-value");
      assertThat(seen.path("stored").asText()).isEqualTo("stored-value");
      assertThat(seen.path("type").asText()).isEqualTo("run");
      assertThat(seen.path("path").asText())
          .as("nobody gets the system's PATH, not root's")
          .isEqualTo("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
      assertThat(seen.path("tty").asBoolean()).isFalse();

      // One argument with a blank is a command line; a program is looked up on the app's PATH.
      Ran line = berth("run", "notes", "--", "echo \"$STORED\" from $(id -un) && kill -TERM $$");
      assertThat(line.output()).contains("stored-value from nobody");
      assertThat(line.exit()).as("128 + SIGTERM").isEqualTo(143);
      Ran missing = berth("run", "notes", "--", "no-such-program", "x");
      assertThat(missing.exit()).as(missing.output()).isEqualTo(127);

      Ran unknownType = berth("run", "notes", "--type", "worker", "--", "true");
      assertThat(unknownType.exit()).isEqualTo(2);
      assertThat(unknownType.output().strip())
          .isEqualTo("berth: notes has no process type \"worker\" (it has: web)");

      configReleases();
      interactive(release);
      detached(berth);
    }
  }

  /**
   * {@code env set} is a release that {@code berth releases} lists by the names it changed, and a
   * rollback puts back the value of the release it goes back to (issue 26).
   */
  private void configReleases() throws Exception {
    Cli listed = Cli.run(config, "releases", "notes");
    assertThat(listed.out())
        .containsPattern("(?m)^2\\s+\\S+ \\S+\\s+config: set STORED\\s.*current$");
    Cli changed = Cli.run(config, "env", "notes", "set", "STORED=changed-value");
    assertThat(changed.exit()).as(changed.out() + changed.err()).isZero();
    assertThat(changed.out()).contains("notes: release 3: set STORED");
    Cli again = Cli.run(config, "env", "notes", "set", "STORED=changed-value");
    assertThat(again.out() + again.err()).contains("environment unchanged");
    Cli json = Cli.run(config, "releases", "notes", "--json");
    assertThat(json.out()).contains("\"changes\":\"set STORED\"").doesNotContain("-value");

    Cli back = Cli.run(config, "rollback", "notes");
    assertThat(back.exit()).as(back.out() + back.err()).isZero();
    assertThat(back.out())
        .contains("-----> env      restored to release 2's (set STORED)")
        .contains("notes release 2 is current");
    Ran seen = berth("run", "notes", "--", "echo \"stored=$STORED\"");
    assertThat(seen.output()).contains("stored=stored-value");
  }

  /** Under a pseudo-terminal: the command reads the terminal, and Ctrl-C reaches it, not berth. */
  private void interactive(Path release) throws Exception {
    try (Terminal terminal =
        Terminal.start(
            cliCommand(
                "run",
                "notes",
                "--",
                "/usr/bin/python3",
                "-c",
                // As Django's createsuperuser asks: a name, then a password through /dev/tty.
                "import getpass, os, sys; print('tty', sys.stdin.isatty(), os.getcwd());"
                    + " name = input('name? '); password = getpass.getpass('password: ');"
                    + " print('read', name, len(password)); sys.exit(5)"))) {
      terminal.await("name? ");
      terminal.type("ada\n");
      terminal.await("password: ");
      terminal.type("s3cret-pw\n");
      assertThat(terminal.exit()).as(terminal.output()).isEqualTo(5);
      assertThat(terminal.output())
          .contains("tty True " + release)
          .contains("read ada 9")
          .as("a password is not echoed")
          .doesNotContain("s3cret-pw");
    }
    try (Terminal terminal =
        Terminal.start(
            cliCommand(
                "run",
                "notes",
                "--",
                "/usr/bin/python3",
                "-c",
                "import signal, sys, time\n"
                    + "signal.signal(signal.SIGINT, lambda *a: (print('interrupted'), sys.exit(42)))\n"
                    + "print('waiting', flush=True)\n"
                    + "time.sleep(120)\n"))) {
      terminal.await("waiting");
      terminal.type("\u0003");
      // 42, not 130: berth run outlived the Ctrl-C and passed on the command's own exit code.
      assertThat(terminal.exit()).as(terminal.output()).isEqualTo(42);
      assertThat(terminal.output()).contains("interrupted");
    }
  }

  /** --detach: started by the daemon, its output in the app's log, ended when berth stops. */
  private void detached(BerthProcess berth) throws Exception {
    Ran started =
        berth(
            "run",
            "notes",
            "--detach",
            "--",
            "/usr/bin/python3",
            "-c",
            "import os; print('detached as', os.getuid(), os.environ['STORED'])");
    assertThat(started.exit()).as(started.output()).isZero();
    assertThat(started.output())
        .containsPattern("berth: notes\\.run\\.1 started in release \\d+ \\(pid \\d+\\)");
    Await.until(
        "the detached command's output and exit in the app's log",
        () -> {
          String logs = Cli.run(config, "logs", "notes", "--type", "run").out();
          return logs.contains("notes.run.1 | detached as 65534 stored-value")
              && logs.contains("notes.run.1: exited with code 0");
        });

    Ran sleeper = berth("run", "notes", "--detach", "--", "sleep", "600");
    assertThat(sleeper.exit()).as(sleeper.output()).isZero();
    Matcher pid = Pattern.compile("\\(pid (\\d+)\\)").matcher(sleeper.output());
    assertThat(pid.find()).as(sleeper.output()).isTrue();
    ProcessHandle process = ProcessHandle.of(Long.parseLong(pid.group(1))).orElseThrow();
    assertThat(Files.readString(tmp.resolve("state/processes.json")))
        .as("recorded for the next berth, should this one be killed")
        .contains("notes.run.2");
    assertThat(berth.terminate(EXIT)).isZero();
    assertThat(process.isAlive()).as("ended with berth").isFalse();
  }

  /** {@code berth ARGS} with the config, in a child JVM (standard input not a terminal). */
  private Ran berth(String... args) throws Exception {
    List<String> argv = new ArrayList<>(List.of(args[0], "--config", config.toString()));
    argv.addAll(List.of(args).subList(1, args.length));
    try (BerthProcess cli = BerthProcess.start(argv.toArray(String[]::new))) {
      int exit = cli.waitFor(EXIT);
      return new Ran(exit, cli.output());
    }
  }

  private record Ran(int exit, String output) {
    String line(String prefix) {
      return output
          .lines()
          .filter(l -> l.startsWith(prefix))
          .findFirst()
          .orElseThrow(() -> new AssertionError("no line starting " + prefix + " in:\n" + output));
    }
  }

  /** The JVM command line of {@code berth ARGS} with the config, as one shell line. */
  private String cliCommand(String... args) {
    List<String> argv = new ArrayList<>();
    argv.add(ProcessHandle.current().info().command().orElse("java"));
    argv.addAll(
        List.of(
            "-XX:+UseSerialGC",
            "-Xmx256m",
            "--enable-native-access=ALL-UNNAMED",
            "-cp",
            System.getProperty("java.class.path"),
            "dev.berth.Main",
            args[0],
            "--config",
            config.toString()));
    argv.addAll(List.of(args).subList(1, args.length));
    return argv.stream()
        .map(a -> "'" + a.replace("'", "'\\''") + "'")
        .collect(Collectors.joining(" ", "exec ", ""));
  }

  /**
   * A command under util-linux {@code script}: a pseudo-terminal is its standard input, output and
   * controlling terminal, and what {@link #type} writes is typed on it (a Ctrl-C included).
   */
  private static final class Terminal implements AutoCloseable {
    private final Process process;
    private final StringBuffer output = new StringBuffer();
    private final Thread reader;

    private Terminal(Process process) {
      this.process = process;
      InputStream in = process.getInputStream();
      this.reader =
          Thread.ofPlatform()
              .daemon()
              .start(
                  () -> {
                    byte[] buffer = new byte[4096];
                    try {
                      for (int n; (n = in.read(buffer)) > 0; ) {
                        output.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
                      }
                    } catch (IOException e) {
                      // It ended.
                    }
                  });
    }

    static Terminal start(String shellLine) throws IOException {
      ProcessBuilder builder =
          new ProcessBuilder("script", "-qec", shellLine, "/dev/null").redirectErrorStream(true);
      return new Terminal(LeftoverProcesses.mark(builder).start());
    }

    void await(String text) {
      Await.until("\"" + text + "\" on the terminal", () -> output.toString().contains(text));
    }

    void type(String keys) throws IOException {
      OutputStream in = process.getOutputStream();
      in.write(keys.getBytes(StandardCharsets.UTF_8));
      in.flush();
    }

    int exit() throws InterruptedException {
      assertThat(process.waitFor(EXIT.toMillis(), TimeUnit.MILLISECONDS))
          .as("exits; it shows:\n%s", output)
          .isTrue();
      reader.join(Duration.ofSeconds(5));
      return process.exitValue();
    }

    String output() {
      return output.toString();
    }

    @Override
    public void close() {
      Optional.of(process)
          .filter(Process::isAlive)
          .ifPresent(
              p -> {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
              });
    }
  }
}
