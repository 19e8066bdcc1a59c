package dev.berth.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.config.EdgeSettings;
import dev.berth.transport.Transport;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The keep-alive pool, on EmbeddedChannels standing in for connections to an app: what is given
 * back and taken again, what is closed instead, and that each event loop (thread) has its own idle
 * connections. Every EmbeddedChannel has the same remote address, so they all lead to one peer.
 */
class UpstreamPoolTest {

  private final UpstreamPool pool = new UpstreamPool(Transport.of(EdgeSettings.IoTransport.NIO));

  private static AppBackend backend(int keepalive) {
    return new AppBackend(
        "web",
        dev.berth.config.App.Balance.ROUND_ROBIN,
        keepalive,
        Duration.ofSeconds(30),
        null,
        1);
  }

  /** A connection as the pool's connect makes it, once up. */
  private static UpstreamPool.Connection connection() {
    UpstreamPool.Connection connection = new UpstreamPool.Connection();
    EmbeddedChannel channel = new EmbeddedChannel(connection);
    channel.freezeTime();
    return connection;
  }

  private static EmbeddedChannel channel(UpstreamPool.Connection connection) {
    return (EmbeddedChannel) connection.channel();
  }

  private static Peer peer(AppBackend backend) {
    return backend.add(new EmbeddedChannel().remoteAddress());
  }

  private UpstreamPool.Lease take(Peer peer, Events listener) {
    return pool.takeIdle(new EmbeddedChannel().eventLoop(), peer, listener);
  }

  @Test
  void aConnectionGivenBackIsTakenAgainThenNoneIsLeft() {
    AppBackend backend = backend(8);
    Peer peer = peer(backend);
    UpstreamPool.Connection first = connection();
    assertThat(take(peer, new Events())).as("nothing pooled yet").isNull();

    pool.release(first, backend, peer);
    assertThat(channel(first).isOpen()).isTrue();
    UpstreamPool.Lease lease = take(peer, new Events());
    assertThat(lease.connection()).isSameAs(first);
    assertThat(lease.reused()).isTrue();
    assertThat(take(peer, new Events())).isNull();
  }

  @Test
  void theMostRecentlyUsedConnectionIsTakenFirst() {
    AppBackend backend = backend(8);
    Peer peer = peer(backend);
    UpstreamPool.Connection older = connection();
    UpstreamPool.Connection newer = connection();
    pool.release(older, backend, peer);
    pool.release(newer, backend, peer);
    assertThat(take(peer, new Events()).connection()).isSameAs(newer);
    assertThat(take(peer, new Events()).connection()).isSameAs(older);
  }

  @Test
  void beyondKeepaliveIdleConnectionsPerPeerAConnectionGivenBackIsClosed() {
    AppBackend backend = backend(1);
    Peer peer = peer(backend);
    UpstreamPool.Connection kept = connection();
    UpstreamPool.Connection extra = connection();
    pool.release(kept, backend, peer);
    pool.release(extra, backend, peer);
    assertThat(channel(kept).isOpen()).isTrue();
    assertThat(channel(extra).isOpen()).isFalse();
  }

  @Test
  void withKeepaliveZeroNothingIsPooled() {
    AppBackend backend = backend(0);
    Peer peer = peer(backend);
    UpstreamPool.Connection connection = connection();
    pool.release(connection, backend, peer);
    assertThat(channel(connection).isOpen()).isFalse();
    assertThat(take(peer, new Events())).isNull();
  }

  @Test
  void aConnectionToARetiredPeerIsClosedNotPooled() {
    AppBackend backend = backend(8);
    Peer peer = peer(backend);
    UpstreamPool.Connection connection = connection();
    backend.remove(peer);
    pool.release(connection, backend, peer);
    assertThat(channel(connection).isOpen()).isFalse();
    assertThat(take(peer, new Events())).isNull();
  }

  @Test
  void anIdleConnectionTheAppWritesToOrClosesIsDiscarded() {
    AppBackend backend = backend(8);
    Peer peer = peer(backend);
    UpstreamPool.Connection chatty = connection();
    UpstreamPool.Connection closed = connection();
    UpstreamPool.Connection quiet = connection();
    pool.release(quiet, backend, peer);
    pool.release(chatty, backend, peer);
    pool.release(closed, backend, peer);

    // Bytes nobody asked for would be taken for the next exchange's answer.
    channel(chatty)
        .writeInbound(Unpooled.copiedBuffer("HTTP/1.1 200 OK\r\n", StandardCharsets.US_ASCII));
    assertThat(channel(chatty).isOpen()).isFalse();
    channel(closed).close();

    assertThat(take(peer, new Events()).connection()).isSameAs(quiet);
    assertThat(take(peer, new Events())).isNull();
  }

  @Test
  void anIdleConnectionIsClosedAfterKeepaliveTimeoutCountedFromItsFirstTick() {
    AppBackend backend = backend(8);
    Peer peer = peer(backend);
    UpstreamPool.Connection connection = connection();
    EmbeddedChannel channel = channel(connection);
    pool.release(connection, backend, peer);

    // The idle time counts from the first tick after the release (at 1 s): closed at 31 s.
    for (int second = 1; second <= 30; second++) {
      channel.advanceTimeBy(1, TimeUnit.SECONDS);
      channel.runScheduledPendingTasks();
      assertThat(channel.isOpen()).as("after %d s", second).isTrue();
    }
    channel.advanceTimeBy(1, TimeUnit.SECONDS);
    channel.runScheduledPendingTasks();
    assertThat(channel.isOpen()).isFalse();
    assertThat(take(peer, new Events())).isNull();
  }

  @Test
  void eachEventLoopHasItsOwnIdleConnections() throws Exception {
    AppBackend backend = backend(8);
    Peer peer = peer(backend);
    UpstreamPool.Connection connection = connection();
    pool.release(connection, backend, peer);

    // Another event loop's thread finds none: taking one never crosses threads.
    CompletableFuture<UpstreamPool.Lease> elsewhere = new CompletableFuture<>();
    Thread.ofPlatform()
        .start(() -> elsewhere.complete(take(peer, new Events())))
        .join(TimeUnit.SECONDS.toMillis(30));
    assertThat(elsewhere.getNow(null)).isNull();
    assertThat(elsewhere).isDone();

    assertThat(take(peer, new Events()).connection()).isSameAs(connection);
  }

  @Test
  void theExchangeHoldingAConnectionHearsItsReadsClockAndClose() {
    AppBackend backend = backend(8);
    Peer peer = peer(backend);
    UpstreamPool.Connection connection = connection();
    pool.release(connection, backend, peer);
    Events events = new Events();
    UpstreamPool.Lease lease = take(peer, events);
    EmbeddedChannel channel = channel(lease.connection());

    channel.writeInbound(
        Unpooled.copiedBuffer("HTTP/1.1 204 No Content\r\n\r\n", StandardCharsets.US_ASCII));
    assertThat(events.seen).containsExactly("read", "readComplete");
    assertThat(channel.isOpen()).as("asked for: kept").isTrue();

    channel.advanceTimeBy(1, TimeUnit.SECONDS);
    channel.runScheduledPendingTasks();
    assertThat(events.seen).last().isEqualTo("tick");

    channel.close();
    assertThat(events.seen).last().isEqualTo("broken closed");
  }

  /** What an exchange would hear. */
  private static final class Events implements UpstreamPool.Listener {
    final List<String> seen = new CopyOnWriteArrayList<>();

    @Override
    public void read(Object msg) {
      io.netty.util.ReferenceCountUtil.release(msg);
      seen.add("read");
    }

    @Override
    public void readComplete() {
      seen.add("readComplete");
    }

    @Override
    public void writabilityChanged(boolean writable) {
      seen.add("writable " + writable);
    }

    @Override
    public void broken(boolean closed) {
      seen.add(closed ? "broken closed" : "broken");
    }

    @Override
    public void tick(long now) {
      seen.add("tick");
    }

    @Override
    public boolean headRequest() {
      return false;
    }

    @Override
    public boolean rewritesLocation() {
      return false;
    }
  }
}
