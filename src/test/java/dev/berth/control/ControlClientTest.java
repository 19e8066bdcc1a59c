package dev.berth.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the CLI says when there is no daemon to talk to. */
class ControlClientTest {

  @TempDir Path tmp;

  @Test
  void noSocketFileMeansNotRunning() {
    Path socket = tmp.resolve("control.sock");

    assertThatThrownBy(() -> ControlClient.connect(socket))
        .isInstanceOf(NotRunningException.class)
        .hasMessage(
            "berth: no daemon running (no control socket at "
                + socket
                + "); start it with 'berth up'")
        .extracting(e -> ((ControlException) e).code())
        .isEqualTo(ControlException.NOT_RUNNING);
  }

  @Test
  void noStateDirMeansNotRunning() {
    Path socket = tmp.resolve("never-created/control.sock");

    assertThatThrownBy(() -> ControlClient.connect(socket)).isInstanceOf(NotRunningException.class);
  }

  @Test
  void aStaleSocketFileMeansNotRunning() throws Exception {
    Path socket = tmp.resolve("control.sock");
    Sockets.staleSocket(socket);

    assertThatThrownBy(() -> ControlClient.connect(socket))
        .isInstanceOf(NotRunningException.class)
        .hasMessage(
            "berth: no daemon running (no control socket at "
                + socket
                + "); start it with 'berth up'");
    assertThat(Files.exists(socket)).as("the client never removes it").isTrue();
  }

  @Test
  void aClientMakesOneConnectionPerCall() throws Exception {
    Path socket = tmp.resolve("control.sock");
    try (ControlServer server = ControlServer.start(socket, new CommandRegistry());
        ControlClient client = ControlClient.connect(socket)) {
      long first = client.call("ping", null).get("pid").asLong();
      long second = client.call("ping", null).get("pid").asLong();
      assertThat(second).isEqualTo(first);
      assertThat(server.socket()).isEqualTo(client.socket());
    }
  }

  @Test
  void aClosedClientRefusesCalls() throws Exception {
    Path socket = tmp.resolve("control.sock");
    try (ControlServer server = ControlServer.start(socket, new CommandRegistry())) {
      ControlClient client = ControlClient.connect(server.socket());
      client.close();
      assertThatThrownBy(() -> client.call("ping", null))
          .extracting(e -> ((ControlException) e).code())
          .isEqualTo(ControlException.CANCELLED);
    }
  }

  @Test
  void daemonStoppingMidCallIsShuttingDown() throws Exception {
    Path socket = tmp.resolve("control.sock");
    CommandRegistry commands = new CommandRegistry();
    ControlServer server = ControlServer.start(socket, commands);
    // The handler closes the whole server while answering: the client sees shutting_down, not a
    // hang.
    commands.register("die", (request, replies) -> Thread.ofVirtual().start(server::close).join());
    try (ControlClient client = ControlClient.connect(socket)) {
      assertThatThrownBy(() -> client.call("die", null))
          .extracting(e -> ((ControlException) e).code())
          .isEqualTo(ControlException.SHUTTING_DOWN);
    } finally {
      server.close();
    }
  }
}
