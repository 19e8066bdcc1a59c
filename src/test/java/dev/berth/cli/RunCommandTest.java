package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.testing.BerthProcess;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code berth run} refuses what it cannot run with one line and exit 2, before it asks a daemon: a
 * command not after {@code --}, an app the config does not have, one berth does not run.
 */
class RunCommandTest {

  @TempDir Path tmp;

  private record Result(int exit, String out, String err) {}

  private Result run(String... args) throws Exception {
    Path config =
        BerthProcess.write(
            tmp.resolve("berth.toml"),
            """
            state_dir = "%s/state"

            [[listeners]]
            address = "127.0.0.1:%d"

            [apps.blog]
            command = "/usr/bin/python3 -m http.server"
            socket = "tcp"

            [apps.legacy]
            upstreams = ["127.0.0.1:9"]

            [[routes]]
            app = "blog"
            """
                .formatted(tmp, BerthProcess.freePort()));
    String[] argv = new String[args.length + 3];
    argv[0] = "run";
    argv[1] = "--config";
    argv[2] = config.toString();
    System.arraycopy(args, 0, argv, 3, args.length);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit =
        BerthCommand.commandLine(argv)
            .setOut(new PrintWriter(out, true))
            .setErr(new PrintWriter(err, true))
            .execute(argv);
    return new Result(exit, out.toString().strip(), err.toString().strip());
  }

  @Test
  void theCommandComesAfterDoubleDash() throws Exception {
    Result result = run("blog", "true");
    assertThat(result.exit()).isEqualTo(2);
    assertThat(result.err())
        .isEqualTo("berth: run: put the command after --: berth run blog -- CMD [ARGS...]");
  }

  @Test
  void anUnknownAppIsOneLineNamingTheApps() throws Exception {
    Result result = run("nope", "--", "true");
    assertThat(result.exit()).isEqualTo(2);
    assertThat(result.err())
        .startsWith("berth: run: no app \"nope\" in ")
        .endsWith("(it has: blog, legacy)");
    assertThat(result.err().lines()).hasSize(1);
  }

  @Test
  void anAppBerthDoesNotRunHasNoReleaseToRunIn() throws Exception {
    Result result = run("legacy", "--", "true");
    assertThat(result.exit()).isEqualTo(2);
    assertThat(result.err())
        .isEqualTo(
            "berth: run: legacy is not run by berth (it has upstreams): there is no release to run in");
  }

  @Test
  void withNoDaemonItSaysSoAndExits3() throws Exception {
    Result result = run("blog", "--", "true");
    assertThat(result.exit()).as(result.err()).isEqualTo(3);
    assertThat(result.err().lines()).hasSize(1);
  }

  @Test
  void jsonGoesWithDetachOnly() throws Exception {
    Result result = run("--json", "blog", "--", "true");
    assertThat(result.exit()).isEqualTo(2);
    assertThat(result.err()).contains("--json goes with --detach only");
  }
}
