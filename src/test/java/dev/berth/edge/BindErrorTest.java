package dev.berth.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.config.Listener;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.unix.Errors;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What berth says when a listener cannot be bound, and how it finds who holds the port. */
class BindErrorTest {

  private static final Listener LOCAL = new Listener("127.0.0.1", 8080);
  private static final InetSocketAddress ADDRESS = new InetSocketAddress("127.0.0.1", 8080);

  @Test
  void aPortInUseNamesTheProcessHoldingIt(@TempDir Path proc) throws Exception {
    // /proc as Linux lays it out: nginx (pid 1234) listens on 0.0.0.0:8080, sshd on [::]:22.
    Path net = Files.createDirectories(proc.resolve("net"));
    Files.writeString(
        net.resolve("tcp"),
        """
          sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
           0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0
           1: 0100007F:1F90 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 999 1 0000000000000000 20 4 30 10 -1
        """);
    Files.writeString(
        net.resolve("tcp6"),
        """
          sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
           0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 77 1 0000000000000000 100 0 0 10 0
        """);
    process(proc, 1, "systemd", "socket:[5]");
    process(proc, 1234, "nginx", "socket:[4242]");
    process(proc, 77, "sshd", "socket:[77]");

    PortHolder holders = new PortHolder(proc);
    assertThat(holders.describe(ADDRESS)).contains("nginx, pid 1234");
    assertThat(holders.describe(new InetSocketAddress(8080))).contains("nginx, pid 1234");
    assertThat(holders.describe(new InetSocketAddress("127.0.0.1", 22))).contains("sshd, pid 77");
    assertThat(holders.describe(new InetSocketAddress("127.0.0.1", 9000))).isEmpty();

    CannotListen inUse = CannotListen.of(LOCAL, ADDRESS, inUse(), holders);
    assertThat(inUse).hasMessage("127.0.0.1:8080 is already in use (by nginx, pid 1234)");
    assertThat(inUse.listener()).isEqualTo(LOCAL);
  }

  @Test
  void aHolderThatProcDoesNotShowIsNotNamed(@TempDir Path proc) {
    assertThat(CannotListen.of(LOCAL, ADDRESS, inUse(), new PortHolder(proc)))
        .hasMessage("127.0.0.1:8080 is already in use");
  }

  @Test
  void theRealProcFindsTheHolderAndKnowsWhenItIsBerthItself() throws Exception {
    // The socket is this JVM's, as when two listeners of one config overlap. (Another process
    // holding the port is the end-to-end case of DaemonLifecycleTest.)
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Optional<String> holder =
          PortHolder.system().describe(new InetSocketAddress(taken.getLocalPort()));
      assertThat(holder).contains("another listener of this berth");
    }
  }

  @Test
  void everyTransportsFailureReadsTheSame() {
    PortHolder none = new PortHolder(Path.of("/nonexistent"));
    Listener all = new Listener("", 8080);
    // Netty's native transports (epoll, io_uring) report the errno; NIO a BindException.
    assertThat(CannotListen.of(all, new InetSocketAddress(8080), inUse(), none))
        .hasMessage(":8080 is already in use");
    assertThat(
            CannotListen.of(
                all,
                new InetSocketAddress(8080),
                new BindException("Address already in use"),
                none))
        .hasMessage(":8080 is already in use");
    assertThat(
            CannotListen.of(
                new Listener("::1", 80),
                new InetSocketAddress("::1", 80),
                Errors.newIOException("bind", -13),
                none))
        .hasMessage(
            "[::1]:80: permission denied (a port below 1024 needs root or"
                + " CAP_NET_BIND_SERVICE)");
    assertThat(
            CannotListen.of(
                new Listener("10.9.9.9", 8080),
                new InetSocketAddress("10.9.9.9", 8080),
                new BindException("Cannot assign requested address"),
                none))
        .hasMessage("10.9.9.9:8080 is not an address of this machine");
  }

  private static Errors.NativeIoException inUse() {
    return Errors.newIOException("bind", -98);
  }

  // Errors reads errno names from the native library: load it first.
  static {
    Epoll.ensureAvailability();
  }

  private static void process(Path proc, int pid, String comm, String socket) throws Exception {
    Path dir = Files.createDirectories(proc.resolve(Integer.toString(pid)).resolve("fd"));
    Files.writeString(proc.resolve(pid + "/comm"), comm + "\n");
    Files.createSymbolicLink(dir.resolve("0"), Path.of("pipe:[7]"));
    Files.createSymbolicLink(dir.resolve("3"), Path.of(socket));
  }
}
