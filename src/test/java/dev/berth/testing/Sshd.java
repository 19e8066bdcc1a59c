package dev.berth.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A real OpenSSH server for one test: {@code /usr/sbin/sshd -D -e} on a free port of 127.0.0.1,
 * with a host key and a client key made for it, admitting that key for the user running the tests
 * (root here). Stopped by {@link #close()}. Without sshd the test fails: it is a dependency
 * (scripts/install-deps.sh --tests installs it), not an option.
 */
public final class Sshd implements AutoCloseable {

  private static final Path SSHD = Path.of("/usr/sbin/sshd");
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);

  private final Process process;
  private final int port;
  private final Path clientKey;
  private final OutputLines output;

  private Sshd(Process process, int port, Path clientKey) {
    this.process = process;
    this.port = port;
    this.clientKey = clientKey;
    this.output = new OutputLines(process);
  }

  /**
   * Starts sshd with its files in {@code dir}; on another port if the chosen one was taken
   * meanwhile.
   */
  public static Sshd start(Path dir) throws Exception {
    if (!Files.isExecutable(SSHD)) {
      throw new AssertionError(
          SSHD
              + " is not installed: run scripts/install-deps.sh --tests (Debian package openssh-server)");
    }
    Files.createDirectories(dir);
    Path hostKey = keyPair(dir.resolve("host_key"));
    Path clientKey = keyPair(dir.resolve("client_key"));
    Files.copy(dir.resolve("client_key.pub"), dir.resolve("authorized_keys"));
    // Privilege separation needs it; a package install makes it only when it starts the service.
    Files.createDirectories(Path.of("/run/sshd"));
    Path config =
        BerthProcess.write(
            dir.resolve("sshd_config"),
            """
            ListenAddress 127.0.0.1
            HostKey %s
            AuthorizedKeysFile %s
            PidFile none
            UsePAM no
            # The keys live under /tmp, which is writable by all: the test's own files, so no strict modes.
            StrictModes no
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            PermitRootLogin prohibit-password
            """
                .formatted(hostKey, dir.resolve("authorized_keys")));
    for (int attempt = 1; ; attempt++) {
      int port = BerthProcess.freePort();
      Process process =
          new ProcessBuilder(
                  SSHD.toString(),
                  "-D",
                  "-e",
                  "-f",
                  config.toString(),
                  "-p",
                  Integer.toString(port))
              .redirectErrorStream(true)
              .start();
      Sshd sshd = new Sshd(process, port, clientKey);
      if (sshd.awaitListening()) {
        return sshd;
      }
      sshd.close();
      if (attempt == 3 || !sshd.output().contains("Address already in use")) {
        throw new AssertionError("sshd did not start; its output:\n" + sshd.output());
      }
    }
  }

  /** For GIT_SSH_COMMAND: ssh with the client key, to this port, trusting this run's host key. */
  public String sshCommand() {
    return "ssh -i "
        + clientKey
        + " -p "
        + port
        + " -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o IdentitiesOnly=yes -o LogLevel=ERROR";
  }

  /** {@code ssh://USER@127.0.0.1:PORT/abs/path}: the form berth git init prints, with the port. */
  public String url(Path repository) {
    return "ssh://" + System.getProperty("user.name") + "@127.0.0.1:" + port + repository;
  }

  public String output() {
    return output.text();
  }

  private boolean awaitListening() throws InterruptedException {
    return output.await(line -> line.startsWith("Server listening on"), READY_TIMEOUT).isPresent();
  }

  private static Path keyPair(Path file) throws Exception {
    Exec.ok(
        file.getParent(),
        "ssh-keygen",
        "-q",
        "-t",
        "ed25519",
        "-N",
        "",
        "-C",
        "berth-test",
        "-f",
        file.toString());
    return file;
  }

  /** Stops sshd and the sessions it still serves. */
  @Override
  public void close() throws InterruptedException {
    process.descendants().forEach(ProcessHandle::destroy);
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
