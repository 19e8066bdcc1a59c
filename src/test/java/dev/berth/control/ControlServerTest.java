package dev.berth.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control server over real unix sockets: protocol, errors, followers, one daemon per socket.
 */
class ControlServerTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir Path tmp;

  private Path socket;
  private CommandRegistry commands;
  private ControlServer server;

  @BeforeEach
  void start() throws IOException {
    socket = tmp.resolve("control.sock");
    commands = new CommandRegistry();
    server = ControlServer.start(socket, commands);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private static JsonNode json(String line) throws IOException {
    return JSON.readTree(line);
  }

  private ObjectNode ping() throws ControlException {
    try (ControlClient client = ControlClient.connect(socket)) {
      return client.call("ping", null);
    }
  }

  @Test
  void pingRoundTrip() throws Exception {
    ObjectNode result = ping();

    assertThat(result.get("pid").asLong()).isEqualTo(ProcessHandle.current().pid());
    assertThat(result.get("uptime_seconds").asLong()).isGreaterThanOrEqualTo(0);
    assertThat(result.get("version").asText()).isNotBlank();
    assertThat(result.get("protocol").asInt()).isEqualTo(ControlProtocol.VERSION);
  }

  @Test
  void theWireFormatIsOneJsonObjectPerLine() throws Exception {
    List<String> lines = Sockets.exchange(socket, "{\"v\":1,\"command\":\"ping\",\"args\":{}}\n");

    assertThat(lines).hasSize(1);
    JsonNode reply = json(lines.getFirst());
    assertThat(reply.get("ok").asBoolean()).isTrue();
    assertThat(reply.get("result").get("pid").asLong()).isEqualTo(ProcessHandle.current().pid());
  }

  @Test
  void socketFileIsPrivateAndRemovedOnClose() throws Exception {
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)))
        .isEqualTo("rw-------");

    server.close();

    assertThat(socket).doesNotExist();
    assertThatThrownBy(this::ping).isInstanceOf(NotRunningException.class);
  }

  @Test
  void eventsThenTheFinalResult() throws Exception {
    commands.register(
        "restart",
        (request, replies) -> {
          String app = request.requireText("app");
          for (int i = 1; i <= 3; i++) {
            replies.event("progress", Map.of("app", app, "instance", i, "state", "ready"));
          }
          replies.result(Map.of("restarted", 3));
        });
    List<ControlClient.Event> events = new CopyOnWriteArrayList<>();

    ObjectNode result;
    try (ControlClient client = ControlClient.connect(socket)) {
      result = client.call("restart", Map.of("app", "web"), events::add);
    }

    assertThat(result.get("restarted").asInt()).isEqualTo(3);
    assertThat(events)
        .extracting(ControlClient.Event::kind)
        .containsExactly("progress", "progress", "progress");
    assertThat(events)
        .extracting(event -> event.fields().get("instance").asInt())
        .containsExactly(1, 2, 3);
    assertThat(events.getFirst().fields().get("app").asText()).isEqualTo("web");
    assertThat(events.getFirst().fields().has("event")).isFalse();
  }

  @Test
  void handlerWithoutAFinalReplyAnswersAnEmptyResult() throws Exception {
    commands.register("quiet", (request, replies) -> {});

    try (ControlClient client = ControlClient.connect(socket)) {
      assertThat(client.call("quiet", null)).isEmpty();
    }
  }

  @Test
  void clientDisconnectEndsAWaitingFollower() throws Exception {
    CountDownLatch followerEnded = new CountDownLatch(1);
    CountDownLatch onCloseRan = new CountDownLatch(1);
    commands.register(
        "follow",
        (request, replies) -> {
          replies.onClose(onCloseRan::countDown);
          replies.event("line", Map.of("text", "hello"));
          // As `logs -f` with nothing new to say: waits for the client to go.
          replies.awaitClosed();
          followerEnded.countDown();
        });
    ControlClient client = ControlClient.connect(socket);
    AtomicReference<Throwable> outcome = new AtomicReference<>();

    Thread caller =
        Thread.ofVirtual()
            .start(
                () -> {
                  try {
                    // Gets the first line, then hangs up, as a user pressing Ctrl-C.
                    client.call("follow", null, event -> client.close());
                  } catch (Throwable t) {
                    outcome.set(t);
                  }
                });

    assertThat(caller.join(WAIT)).isTrue();
    assertThat(outcome.get()).isInstanceOf(ControlException.class);
    assertThat(((ControlException) outcome.get()).code()).isEqualTo(ControlException.CANCELLED);
    assertThat(followerEnded.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
    assertThat(onCloseRan.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void clientDisconnectStopsASendingFollower() throws Exception {
    AtomicReference<Throwable> followerStopped = new AtomicReference<>();
    CountDownLatch followerEnded = new CountDownLatch(1);
    commands.register(
        "follow",
        (request, replies) -> {
          try {
            for (long n = 0; ; n++) {
              replies.event("line", Map.of("n", n));
              Thread.sleep(1);
            }
          } catch (ClientGoneException e) {
            followerStopped.set(e);
            assertThat(replies.open()).isFalse();
          } finally {
            followerEnded.countDown();
          }
        });
    // Raw: read one event line, then close.
    try (var channel =
        java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(socket))) {
      channel.write(java.nio.ByteBuffer.wrap("{\"v\":1,\"command\":\"follow\"}\n".getBytes()));
      var buffer = java.nio.ByteBuffer.allocate(64);
      assertThat(channel.read(buffer)).isPositive();
    }

    assertThat(followerEnded.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
    assertThat(followerStopped.get()).isInstanceOf(ClientGoneException.class);
  }

  @Test
  void closingTheServerEndsAFollowStreamWithAFinalLine() throws Exception {
    CountDownLatch following = new CountDownLatch(1);
    CountDownLatch followerEnded = new CountDownLatch(1);
    commands.register(
        "follow",
        (request, replies) -> {
          replies.event("line", Map.of("text", "hello"));
          following.countDown();
          replies.awaitClosed();
          followerEnded.countDown();
        });
    AtomicReference<Throwable> outcome = new AtomicReference<>();
    List<ControlClient.Event> events = new CopyOnWriteArrayList<>();
    Thread caller =
        Thread.ofVirtual()
            .start(
                () -> {
                  try (ControlClient client = ControlClient.connect(socket)) {
                    client.call("follow", null, events::add);
                  } catch (Throwable t) {
                    outcome.set(t);
                  }
                });
    assertThat(following.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();

    server.close();

    assertThat(caller.join(WAIT)).isTrue();
    assertThat(events).hasSize(1);
    assertThat(outcome.get())
        .isInstanceOf(ControlException.class)
        .hasMessage("berth is shutting down");
    assertThat(((ControlException) outcome.get()).code()).isEqualTo(ControlException.SHUTTING_DOWN);
    assertThat(followerEnded.getCount()).isZero();
    assertThat(socket).doesNotExist();
  }

  @Test
  void closingTheServerInterruptsAHandlerBlockedElsewhere() throws Exception {
    CountDownLatch blocked = new CountDownLatch(1);
    AtomicReference<Throwable> handlerEnd = new AtomicReference<>();
    CountDownLatch handlerEnded = new CountDownLatch(1);
    commands.register(
        "stuck",
        (request, replies) -> {
          blocked.countDown();
          try {
            new CountDownLatch(1).await(); // Never counted down: only an interrupt ends it.
          } catch (InterruptedException e) {
            handlerEnd.set(e);
          } finally {
            handlerEnded.countDown();
          }
        });
    Thread caller =
        Thread.ofVirtual()
            .start(
                () -> {
                  try {
                    Sockets.exchange(socket, "{\"v\":1,\"command\":\"stuck\"}\n");
                  } catch (IOException e) {
                    // Whatever the server did, the test looks at the handler.
                  }
                });
    assertThat(blocked.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();

    server.close();

    assertThat(handlerEnded.getCount()).as("close() waited for the handler").isZero();
    assertThat(handlerEnd.get()).isInstanceOf(InterruptedException.class);
    assertThat(caller.join(WAIT)).isTrue();
  }

  @Test
  void badRequestsGetAnErrorAndTheServerKeepsServing() throws Exception {
    String tooLong = "x".repeat(ControlProtocol.MAX_REQUEST_BYTES + 1) + "\n";
    record Case(String request, String code, String message) {}
    List<Case> cases =
        List.of(
            new Case(
                "{\"v\":1,\"command\":\n",
                ControlException.BAD_REQUEST,
                "request is not valid JSON"),
            new Case(
                "not json at all\n", ControlException.BAD_REQUEST, "request is not valid JSON"),
            new Case(
                "{\"v\":1,\"command\":\"ping\"} {}\n",
                ControlException.BAD_REQUEST,
                "request is not valid JSON"),
            new Case("\n", ControlException.BAD_REQUEST, "empty request line"),
            new Case(
                "[1,2]\n",
                ControlException.BAD_REQUEST,
                "request must be a JSON object, got ARRAY"),
            new Case(
                "{\"command\":\"ping\"}\n", ControlException.BAD_REQUEST, "request has no \"v\""),
            new Case(
                "{\"v\":1}\n", ControlException.BAD_REQUEST, "request has no \"command\" string"),
            new Case(
                "{\"v\":1,\"command\":\"ping\",\"args\":[]}\n",
                ControlException.BAD_REQUEST,
                "\"args\" must be a JSON object"),
            new Case(
                "{\"v\":2,\"command\":\"ping\"}\n",
                ControlException.UNSUPPORTED_VERSION,
                "protocol version 2 is not supported (this berth speaks 1)"),
            new Case(
                "{\"v\":1,\"command\":\"launch-missiles\"}\n",
                ControlException.UNKNOWN_COMMAND,
                "unknown command \"launch-missiles\" (this berth knows: ping)"),
            new Case(tooLong, ControlException.BAD_REQUEST, "request line longer than 65536 bytes"),
            new Case(
                "{\"v\":1,\"command\":\"ping\"}",
                ControlException.BAD_REQUEST,
                "request line not ended by a newline"),
            new Case("BAD-UTF-8", ControlException.BAD_REQUEST, "request is not valid JSON"));

    for (Case c : cases) {
      byte[] bytes =
          c.request().equals("BAD-UTF-8")
              ? new byte[] {
                '{',
                '"',
                'v',
                '"',
                ':',
                '1',
                ',',
                '"',
                'x',
                '"',
                ':',
                '"',
                (byte) 0xc3,
                '(',
                '"',
                '}',
                '\n'
              }
              : c.request().getBytes(java.nio.charset.StandardCharsets.UTF_8);
      List<String> lines =
          c.request().endsWith("\n") || c.request().equals("BAD-UTF-8")
              ? Sockets.exchange(socket, bytes)
              : halfClosed(bytes);
      assertThat(lines).as(c.request().length() > 80 ? "(oversize)" : c.request()).hasSize(1);
      JsonNode reply = json(lines.getFirst());
      assertThat(reply.get("ok").asBoolean()).isFalse();
      assertThat(reply.get("code").asText()).as(c.request()).isEqualTo(c.code());
      assertThat(reply.get("error").asText()).as(c.request()).startsWith(c.message());
    }

    assertThat(ping().get("pid").asLong()).isEqualTo(ProcessHandle.current().pid());
  }

  /** Sends without a newline, then half-closes: the server can still answer. */
  private List<String> halfClosed(byte[] bytes) throws IOException {
    try (var channel =
        java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(socket))) {
      channel.write(java.nio.ByteBuffer.wrap(bytes));
      channel.shutdownOutput();
      return List.of(
          new String(java.nio.channels.Channels.newInputStream(channel).readAllBytes())
              .strip()
              .split("\n"));
    }
  }

  @Test
  void aRequestOfExactlyTheLimitIsAccepted() throws Exception {
    String request = "{\"v\":1,\"command\":\"ping\"}";
    String padded =
        request + " ".repeat(ControlProtocol.MAX_REQUEST_BYTES - request.length()) + "\n";

    List<String> lines = Sockets.exchange(socket, padded);

    assertThat(json(lines.getFirst()).get("ok").asBoolean()).isTrue();
  }

  @Test
  void handlerErrorsKeepTheirCode() throws Exception {
    commands.register(
        "status",
        (request, replies) -> {
          throw new ControlException(
              ControlException.NOT_FOUND, "no app named \"" + request.requireText("app") + "\"");
        });
    commands.register(
        "broken",
        (request, replies) -> {
          throw new IllegalStateException("boom");
        });
    commands.register(
        "typed", (request, replies) -> replies.result(Map.of("n", request.integer("n", 0))));

    try (ControlClient client = ControlClient.connect(socket)) {
      assertThatThrownBy(() -> client.call("status", Map.of("app", "nope")))
          .isInstanceOf(ControlException.class)
          .hasMessage("no app named \"nope\"")
          .extracting(e -> ((ControlException) e).code())
          .isEqualTo(ControlException.NOT_FOUND);
      assertThatThrownBy(() -> client.call("status", null))
          .hasMessage("status: missing argument \"app\"")
          .extracting(e -> ((ControlException) e).code())
          .isEqualTo(ControlException.BAD_REQUEST);
      assertThatThrownBy(() -> client.call("broken", null))
          .hasMessageContaining("broken failed: java.lang.IllegalStateException: boom")
          .extracting(e -> ((ControlException) e).code())
          .isEqualTo(ControlException.FAILED);
      assertThatThrownBy(() -> client.call("typed", Map.of("n", "three")))
          .hasMessage("typed: argument \"n\" is \"three\" (expected an integer)");
      assertThat(client.call("typed", Map.of("n", 3)).get("n").asInt()).isEqualTo(3);
    }
  }

  @Test
  void aSecondServerOnALiveSocketFails() throws Exception {
    assertThatThrownBy(() -> ControlServer.start(socket, new CommandRegistry()))
        .isInstanceOf(IOException.class)
        .hasMessage("berth is already running (control socket " + socket + ")");

    // The first one is untouched.
    assertThat(socket).exists();
    assertThat(ping().get("pid").asLong()).isEqualTo(ProcessHandle.current().pid());
  }

  @Test
  void aStaleSocketFileIsReplaced() throws Exception {
    Path stale = tmp.resolve("stale.sock");
    Sockets.staleSocket(stale);

    try (ControlServer second = ControlServer.start(stale, new CommandRegistry());
        ControlClient client = ControlClient.connect(stale)) {
      assertThat(client.call("ping", null).get("pid").asLong())
          .isEqualTo(ProcessHandle.current().pid());
      assertThat(second.socket()).isEqualTo(stale);
    }
  }

  @Test
  void aFileThatIsNotASocketIsLeftAlone() throws Exception {
    Path file = Files.writeString(tmp.resolve("not-a-socket"), "mine");

    assertThatThrownBy(() -> ControlServer.start(file, new CommandRegistry()))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("exists and is not a socket");
    assertThat(file).hasContent("mine");
  }

  @Test
  void commandsAreRegisteredOnce() {
    assertThatThrownBy(() -> commands.register("ping", (request, replies) -> {}))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(commands.commands()).containsExactly("ping");
  }
}
