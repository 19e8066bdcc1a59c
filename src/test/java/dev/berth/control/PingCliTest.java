package dev.berth.control;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.cli.BerthCommand;
import dev.berth.testing.BerthProcess;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code berth ping}: the client end to end, finding the socket through the config's state_dir. */
class PingCliTest {

  @TempDir Path tmp;

  private Path config;
  private Path socket;

  @BeforeEach
  void writeConfig() throws Exception {
    Files.createDirectories(tmp.resolve("static"));
    config =
        BerthProcess.write(
            tmp.resolve("berth.toml"),
            """
            state_dir = "%s/state"

            [[listeners]]
            address = "127.0.0.1:%d"

            [[routes]]
            path = "/"
            static = "%s/static"
            """
                .formatted(tmp, BerthProcess.freePort(), tmp));
    socket = tmp.resolve("state").resolve(ControlProtocol.SOCKET_NAME);
  }

  private record Result(int exit, String out, String err) {}

  private static Result berth(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli =
        BerthCommand.commandLine(args).setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
    int exit = cli.execute(args);
    return new Result(exit, out.toString().strip(), err.toString().strip());
  }

  @Test
  void pingAnswersFromTheDaemonOfTheConfig() throws Exception {
    Files.createDirectories(socket.getParent());
    try (ControlServer server = ControlServer.start(socket, new CommandRegistry())) {
      assertThat(server.socket()).isEqualTo(socket);
      Result text = berth("ping", "--config", config.toString());
      assertThat(text.exit()).as(text.err()).isZero();
      assertThat(text.out())
          .startsWith("berth: daemon running, pid " + ProcessHandle.current().pid() + ", up ");

      Result json = berth("ping", "--json", "--config", config.toString());
      assertThat(json.exit()).isZero();
      assertThat(new ObjectMapper().readTree(json.out()).get("pid").asLong())
          .isEqualTo(ProcessHandle.current().pid());
    }
  }

  @Test
  void pingWithoutADaemonSaysSoAndExits3() throws Exception {
    Result text = berth("ping", "--config", config.toString());
    assertThat(text.exit()).isEqualTo(3);
    assertThat(text.err())
        .isEqualTo(
            "berth: no daemon running (no control socket at "
                + socket
                + "); start it with 'berth up'");
    assertThat(text.out()).isEmpty();

    Result json = berth("ping", "--json", "--config", config.toString());
    assertThat(json.exit()).isEqualTo(3);
    assertThat(new ObjectMapper().readTree(json.out()).get("code").asText())
        .isEqualTo("not_running");
  }

  /**
   * The wiring in Daemon: `berth up` serves the socket, a second `berth up` is refused, stop
   * removes it.
   */
  @Test
  void theDaemonServesItsControlSocket() throws Exception {
    try (BerthProcess daemon = BerthProcess.up(config)) {
      Result ping = berth("ping", "--json", "--config", config.toString());
      assertThat(ping.exit()).as(ping.err()).isZero();
      assertThat(new ObjectMapper().readTree(ping.out()).get("pid").asLong())
          .isEqualTo(daemon.pid());
      assertThat(PosixPermissions.of(socket)).isEqualTo("rw-------");

      Path pidFile = socket.resolveSibling("berth.pid");
      dev.berth.testing.Await.until(
          "berth.pid names the daemon",
          () -> Files.exists(pidFile) && Files.readString(pidFile).equals(daemon.pid() + "\n"));
      try (BerthProcess second = BerthProcess.start("up", "--config", config.toString())) {
        assertThat(second.waitFor(Duration.ofSeconds(60))).isEqualTo(1);
        // Refused by the state dir's lock, before the control socket (daemon.PidFile).
        assertThat(second.output())
            .contains("berth is already running (pid " + daemon.pid() + ", ")
            .contains("berth.pid)");
      }

      assertThat(daemon.terminate(Duration.ofSeconds(30))).isZero();
      assertThat(socket).doesNotExist();
      assertThat(pidFile).doesNotExist();
    }
  }

  private static final class PosixPermissions {
    static String of(Path path) throws java.io.IOException {
      return java.nio.file.attribute.PosixFilePermissions.toString(
          Files.getPosixFilePermissions(path));
    }
  }
}
