package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.testing.BerthProcess;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The berth command as a user types it: bad configs and bad commands get one clear answer. */
class CommandLineTest {

  @TempDir Path tmp;

  private static String run(int expectedExit, String... args) throws Exception {
    try (BerthProcess berth = BerthProcess.start(args)) {
      int exit = berth.waitFor(Duration.ofSeconds(60));
      assertThat(exit).as(berth.output()).isEqualTo(expectedExit);
      return berth.output();
    }
  }

  private Path config(String appBody) throws Exception {
    return BerthProcess.write(
        tmp.resolve("berth.toml"),
        """
        state_dir = "%s/state"

        [[listeners]]
        address = "127.0.0.1:%d"

        [apps.web]
        %s

        [[routes]]
        app = "web"
        """
            .formatted(tmp, BerthProcess.freePort(), appBody));
  }

  @Test
  void typoInAKeyIsAnErrorWithFileAndLine() throws Exception {
    Path config = config("command = \"gunicorn wsgi:app\"\ninstanses = 2");
    String output = run(2, "up", "--config", config.toString());
    assertThat(output)
        .isEqualTo("berth.toml:8: apps.web.instanses: unknown key (did you mean instances?)");
  }

  @Test
  void badValueIsAnErrorWithFileAndLine() throws Exception {
    Path config = config("command = \"gunicorn wsgi:app\"\ninstances = 0");
    assertThat(run(2, "up", "--config", config.toString()))
        .isEqualTo("berth.toml:8: apps.web.instances: 0 (expected: an integer from 1 to 64)");
    assertThat(run(2, "check", "--config", config.toString())).contains("berth.toml:8:");
  }

  @Test
  void checkAcceptsTheBundledExamples() throws Exception {
    assertThat(
            run(
                0,
                "check",
                "--config",
                BerthProcess.repo().resolve("examples/berth.toml").toString()))
        .contains("examples/berth.toml: ok (1 listener(s), 2 app(s), 3 route(s)); state in /");
  }

  @Test
  void badCommandsGetOneLineAndExit2() throws Exception {
    assertThat(run(2, "frobnicate"))
        .isEqualTo("berth: Unmatched argument at index 0: 'frobnicate' (see 'berth --help')");
    assertThat(run(2, "up", "--no-such-flag").lines()).hasSize(1);
    assertThat(run(2, "up", "--config", tmp.resolve("absent.toml").toString()))
        .contains("absent.toml: cannot read");
    assertThat(run(0, "--help")).contains("up").contains("check");
  }

  @Test
  void onlyTheNamedSubcommandIsBuiltAndHelpListsThemAll() {
    assertThat(BerthCommand.commandLine("status", "--json").getSubcommands())
        .containsOnlyKeys("status");
    assertThat(BerthCommand.commandLine("env", "blog", "set", "A=1").getSubcommands())
        .containsOnlyKeys("env");
    assertThat(
            BerthCommand.commandLine("env").getSubcommands().get("env").getCommandSpec().options())
        .as("the options every command inherits from berth")
        .anyMatch(option -> option.longestName().equals("--help"));
    for (String[] args : new String[][] {{}, {"--help"}, {"help", "deploy"}, {"stauts"}}) {
      assertThat(BerthCommand.commandLine(args).getSubcommands())
          .as(String.join(" ", args))
          .containsKeys(
              "up",
              "check",
              "status",
              "deploy",
              "rollback",
              "releases",
              "reload",
              "service",
              "git",
              "certs",
              "passwd",
              "maintenance",
              "help")
          .hasSize(21);
    }
  }
}
