package dev.berth.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.berth.testing.Await;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Only berth's own user and root may control it. Checked for real: a client runs as {@code nobody}
 * (the tests run as root, so setpriv can switch to it).
 */
class PeerCredentialsTest {

  /** The system python: the one first on PATH may live where nobody cannot read it. */
  private static final String PYTHON = "/usr/bin/python3";

  /** Connects, sends a request, prints everything the server answers until it closes. */
  private static final String CLIENT =
      """
      import socket, sys
      s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
      try:
          s.connect(sys.argv[1])
      except PermissionError:
          print("connect: permission denied")
          sys.exit(3)
      try:
          s.sendall(b'{"v":1,"command":"count"}\\n')
      except OSError:
          pass  # refused and closed before the request was read: the answer is still there
      data = b""
      while True:
          try:
              chunk = s.recv(4096)
          except ConnectionResetError:
              break
          if not chunk:
              break
          data += chunk
      sys.stdout.write(data.decode())
      """;

  @TempDir Path tmp;

  private final AtomicInteger executed = new AtomicInteger();
  private Path socket;
  private ControlServer server;

  @BeforeEach
  void start() throws IOException {
    assumeTrue(uid(Path.of("/proc/self")) == 0, "needs root to run a client as nobody");
    assumeTrue(
        Files.isExecutable(Path.of("/usr/bin/setpriv")) && Files.isExecutable(Path.of(PYTHON)));
    socket = tmp.resolve("control.sock");
    CommandRegistry commands = new CommandRegistry();
    commands.register(
        "count",
        (request, replies) ->
            replies.result(java.util.Map.of("count", executed.incrementAndGet())));
    server = ControlServer.start(socket, commands);
    // nobody may pass through the temp dir, but not list it.
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private static int uid(Path path) throws IOException {
    return (Integer) Files.getAttribute(path, "unix:uid");
  }

  private record Run(int exit, String output) {}

  private Run asNobody() throws Exception {
    Process process =
        new ProcessBuilder(
                List.of(
                    "setpriv",
                    "--reuid",
                    "nobody",
                    "--regid",
                    "nogroup",
                    "--clear-groups",
                    PYTHON,
                    "-c",
                    CLIENT,
                    socket.toString()))
            .directory(Path.of("/").toFile())
            .redirectErrorStream(true)
            .start();
    try {
      process.getOutputStream().close();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(process.waitFor(30, TimeUnit.SECONDS))
          .as("client exits; output: %s", output)
          .isTrue();
      return new Run(process.exitValue(), output.strip());
    } finally {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void theFileModeAloneKeepsOtherUsersOut() throws Exception {
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)))
        .isEqualTo("rw-------");

    Run run = asNobody();

    assertThat(run.output()).isEqualTo("connect: permission denied");
    assertThat(run.exit()).isEqualTo(3);
    assertThat(executed).hasValue(0);
  }

  @Test
  void anotherUidIsRefusedEvenWhenTheFileLetsItIn() throws Exception {
    // For this test only: open the file to everyone, so the server's own check is what refuses.
    Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));

    Run run = asNobody();

    assertThat(run.exit()).as(run.output()).isZero();
    assertThat(run.output())
        .isEqualTo(
            "{\"ok\":false,\"error\":\"permission denied: uid 65534 is not the owner of this berth\","
                + "\"code\":\"permission_denied\"}");
    assertThat(executed).hasValue(0);

    // The owner (root here) still gets through, and the server still serves.
    try (ControlClient client = ControlClient.connect(socket)) {
      assertThat(client.call("count", null).get("count").asInt()).isEqualTo(1);
    }
    Await.until("the command ran", () -> executed.get() == 1);
  }

  @Test
  void uidsAreReadFromPrincipals() throws Exception {
    var lookup = java.nio.file.FileSystems.getDefault().getUserPrincipalLookupService();
    assertThat(PeerCheck.uidOf(lookup.lookupPrincipalByName("root"))).hasValue(0);
    assertThat(PeerCheck.uidOf(lookup.lookupPrincipalByName("nobody"))).hasValue(65534);
    // A uid without a passwd entry: the JDK names it by its number.
    assertThat(PeerCheck.uidOf(lookup.lookupPrincipalByName("54321"))).hasValue(54321);
  }
}
