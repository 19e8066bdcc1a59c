package dev.berth.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.accesslog.AccessLog;
import dev.berth.config.AccessLogSpec;
import dev.berth.config.EdgeSettings;
import dev.berth.config.EdgeSettings.IoTransport;
import dev.berth.config.Listener;
import dev.berth.config.ListenerTls;
import dev.berth.config.UnixSocket;
import dev.berth.routing.RouteTable;
import dev.berth.routing.Router;
import dev.berth.testing.Await;
import dev.berth.transport.Transport;
import dev.berth.upstream.Backends;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Unix-socket listeners on a real edge: the socket file made with its mode and group, a stale one
 * replaced, a live one or another kind of file refused, the file taken over in place and removed.
 */
class UnixListenerTest {

  @TempDir Path dir;

  private EventLoopGroup group;
  private AccessLog accessLog;
  private Edge edge;

  private Edge edge(IoTransport kind) {
    Transport transport = Transport.of(kind);
    group = transport.newEventLoopGroup(1, "unix-test");
    accessLog = new AccessLog(new PrintStream(OutputStream.nullOutputStream()));
    // Requests that match no route are logged here.
    AccessLogSpec logged = new AccessLogSpec(true, log(), AccessLogSpec.Format.COMBINED);
    edge =
        new Edge(
            transport,
            group,
            EdgeSettings.standard(),
            new Router(RouteTable.of(List.of())),
            new Backends(),
            accessLog,
            route -> logged);
    return edge;
  }

  @AfterEach
  void tearDown() {
    if (edge != null) {
      edge.drain(Duration.ZERO);
    }
    if (accessLog != null) {
      accessLog.close();
    }
    if (group != null) {
      group.shutdownGracefully(0, 0, TimeUnit.SECONDS).awaitUninterruptibly();
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = IoTransport.class,
      names = {"NIO", "EPOLL", "IO_URING"})
  void everyTransportServesHttpOnAUnixSocketMadeWithItsMode(IoTransport kind) throws Exception {
    Assumptions.assumeTrue(
        kind == IoTransport.NIO
            || (kind == IoTransport.EPOLL && Epoll.isAvailable())
            || (kind == IoTransport.IO_URING && IoUring.isAvailable()));
    Path path = dir.resolve("berth.sock");
    Listener listener = Listener.unix(new UnixSocket(path));

    assertThat(edge(kind).bind(List.of(listener))).containsExactly(listener);

    PosixFileAttributes file = attributes(path);
    assertThat(file.isOther()).isTrue();
    assertThat(PosixFilePermissions.toString(file.permissions())).isEqualTo("rw-rw----");
    assertThat(get(path)).startsWith("HTTP/1.1 404 ").contains("server: berth");
    // A unix-socket peer has no address: the log says so as nginx does.
    assertThat(
            Await.present(
                "the access log's line",
                () ->
                    Files.exists(log())
                        ? Files.readAllLines(log()).stream().findFirst()
                        : Optional.empty()))
        .startsWith("unix: - - [");
    // Nothing of the private directory it was bound in is left.
    try (var left = Files.list(dir)) {
      assertThat(left).containsExactlyInAnyOrder(path, log());
    }

    edge.drain(Duration.ZERO);
    assertThat(path).doesNotExist();
  }

  @Test
  void modeAndGroupAreTheConfiguredOnes() throws Exception {
    Path path = dir.resolve("berth.sock");
    edge(IoTransport.AUTO).bind(Listener.unix(new UnixSocket(path, 0600, "daemon")));

    PosixFileAttributes file = attributes(path);
    assertThat(PosixFilePermissions.toString(file.permissions())).isEqualTo("rw-------");
    assertThat(file.group().getName()).isEqualTo("daemon");
  }

  @Test
  void aStaleSocketIsReplacedAndALiveOneIsInUse() throws Exception {
    Path path = dir.resolve("berth.sock");
    // The JDK leaves the file of a closed server socket behind, as a killed berth does.
    try (ServerSocketChannel old = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      old.bind(UnixDomainSocketAddress.of(path));
    }
    assertThat(path).exists();
    Listener listener = Listener.unix(new UnixSocket(path));
    edge(IoTransport.AUTO).bind(listener);
    assertThat(get(path)).startsWith("HTTP/1.1 404 ");

    Path live = dir.resolve("live.sock");
    try (ServerSocketChannel other = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      other.bind(UnixDomainSocketAddress.of(live));
      Listener taken = Listener.unix(new UnixSocket(live));
      assertThatThrownBy(() -> edge.bind(taken))
          .isInstanceOf(CannotListen.class)
          .hasMessage("unix:" + live + " is already in use (a process accepts connections on it)");
      assertThat(live).exists();
    }
    // The edge's own listener was not touched by the failed one.
    assertThat(get(path)).startsWith("HTTP/1.1 404 ");
  }

  @Test
  void aFileThatIsNotASocketOrAMissingDirectoryIsRefused() throws Exception {
    Path plain = Files.writeString(dir.resolve("notes.txt"), "mine");
    Listener onFile = Listener.unix(new UnixSocket(plain));
    assertThatThrownBy(() -> edge(IoTransport.AUTO).bind(onFile))
        .isInstanceOf(CannotListen.class)
        .hasMessage(
            "unix:"
                + plain
                + ": "
                + plain
                + " exists and is not a socket (berth does not"
                + " replace it)");
    assertThat(plain).hasContent("mine");

    Path nowhere = dir.resolve("missing/berth.sock");
    assertThatThrownBy(() -> edge.bind(Listener.unix(new UnixSocket(nowhere))))
        .isInstanceOf(CannotListen.class)
        .hasMessage("unix:" + nowhere + ": directory " + nowhere.getParent() + " does not exist");
  }

  @Test
  void aReloadThatChangesTheModeTakesThePathOverInPlaceAndTheOldOneLeavesItBe() throws Exception {
    Path path = dir.resolve("berth.sock");
    Listener before = Listener.unix(new UnixSocket(path, 0660, null));
    Listener after = Listener.unix(new UnixSocket(path, 0600, null), ListenerTls.PLAIN, true);
    edge(IoTransport.AUTO).bind(before);

    edge.bind(after);
    edge.unbind(before, Duration.ZERO);

    assertThat(PosixFilePermissions.toString(attributes(path).permissions()))
        .isEqualTo("rw-------");
    assertThat(get(path)).startsWith("HTTP/1.1 404 ");
    edge.unbind(after, Duration.ZERO);
    assertThat(path).doesNotExist();
  }

  private Path log() {
    return dir.resolve("access.log");
  }

  private static PosixFileAttributes attributes(Path path) throws IOException {
    return Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
  }

  /** A GET over the unix socket at {@code path}: the response, as read until the edge closes. */
  private static String get(Path path) throws IOException {
    try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
      client.write(
          StandardCharsets.US_ASCII.encode(
              "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
      ByteArrayOutputStream response = new ByteArrayOutputStream();
      ByteBuffer buffer = ByteBuffer.allocate(4096);
      while (client.read(buffer) >= 0) {
        response.write(buffer.array(), 0, buffer.position());
        buffer.clear();
      }
      return response.toString(StandardCharsets.ISO_8859_1);
    }
  }
}
