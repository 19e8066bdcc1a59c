package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.testing.BerthProcess;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code berth up --detach}, in process: how it starts the daemon, and that it starts none when one
 * holds the state dir. The daemon's start is DetachEndToEndTest's.
 */
class DetachTest {

  @TempDir Path tmp;

  private static final Path CONFIG = Path.of("/srv/site/berth.toml");

  @Test
  void theDaemonIsTheLauncherInANewSessionWhenBerthWasStartedByIt() {
    assertThat(
            Detach.command(
                CONFIG, Map.of("BERTH_LAUNCHER", "/opt/berth/berth"), List.of("java", "-cp", "x")))
        .containsExactly(
            "setsid",
            "/opt/berth/berth",
            "up",
            "--background-daemon",
            "--config",
            "/srv/site/berth.toml");
  }

  @Test
  void withoutTheLauncherTheDaemonIsThisJvmsCommandLine() {
    List<String> java = List.of("/usr/bin/java", "-Xmx64m", "-cp", "a.jar", "dev.berth.Main");
    assertThat(Detach.command(CONFIG, Map.of(), java))
        .containsExactly(
            "setsid",
            "/usr/bin/java",
            "-Xmx64m",
            "-cp",
            "a.jar",
            "dev.berth.Main",
            "up",
            "--background-daemon",
            "--config",
            "/srv/site/berth.toml");
  }

  @Test
  void detachIsAnOptionOfUpAndTheDaemonsOptionIsHidden() {
    CommandLine cli = BerthCommand.commandLine("up");
    CommandLine up = cli.getSubcommands().get("up");
    assertThat(cli.parseArgs("up", "-d", "-c", "x.toml").subcommand().matchedOptions())
        .extracting(option -> option.longestName())
        .containsExactly("--detach", "--config");
    assertThat(up.getUsageMessage(CommandLine.Help.Ansi.OFF))
        .contains("-d, --detach")
        .doesNotContain(Detach.BACKGROUND_OPTION);
  }

  /**
   * A watchdog's run while a berth holds the state dir's lock (here a stand-in that holds it, as
   * berth does, with fcntl): one line, exit 0, nothing started, no berth.out touched.
   */
  @Test
  void whenABerthHoldsTheStateDirItSaysSoInOneLineAndExitsZero() throws Exception {
    Path state = tmp.resolve("state");
    Files.createDirectories(state.resolve("log"));
    Files.writeString(state.resolve("log/berth.out"), "the running berth's\n");
    Path pidFile = state.resolve("berth.pid");
    Path config =
        BerthProcess.write(
            tmp.resolve("berth.toml"),
            """
            state_dir = "%s"

            [[listeners]]
            address = "127.0.0.1:9"
            """
                .formatted(state));
    Process holder =
        new ProcessBuilder(
                "/usr/bin/python3",
                "-c",
                "import fcntl, sys\n"
                    + "f = open(sys.argv[1], 'a')\n"
                    + "fcntl.lockf(f, fcntl.LOCK_EX)\n"
                    + "f.write('4242\\n'); f.flush()\n"
                    + "print('locked', flush=True)\n"
                    + "sys.stdin.read()\n",
                pidFile.toString())
            .redirectErrorStream(true)
            .start();
    try {
      BufferedReader said =
          new BufferedReader(
              new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
      assertThat(said.readLine()).isEqualTo("locked");

      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      CommandLine cli = BerthCommand.commandLine("up");
      cli.setOut(new PrintWriter(out, true));
      cli.setErr(new PrintWriter(err, true));
      int exit = cli.execute("up", "--detach", "-c", config.toString());

      assertThat(err.toString()).isEmpty();
      assertThat(out.toString())
          .isEqualTo("berth is already running (pid 4242, " + pidFile + ")\n");
      assertThat(exit).isZero();
      assertThat(Files.readString(state.resolve("log/berth.out")))
          .isEqualTo("the running berth's\n");
      assertThat(state.resolve("log/berth.out.1")).doesNotExist();
    } finally {
      holder.getOutputStream().close();
      holder.waitFor();
    }
  }
}
