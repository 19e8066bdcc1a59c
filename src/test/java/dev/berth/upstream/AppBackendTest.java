package dev.berth.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.config.App;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * How a request picks a peer: round robin or least-conn, over peers that are not in backoff, not
 * failing their health check, and not tried already for this request. Peers are plain objects here;
 * no socket is opened, and time is the {@code now} each pick is given.
 */
class AppBackendTest {

  private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

  private static AppBackend backend(App.Balance balance) {
    return new AppBackend("web", balance, 8, Duration.ofSeconds(30), null, 1);
  }

  /** Three peers a, b, c (ports 8001..8003), in that order. */
  private static List<Peer> threePeers(AppBackend backend) {
    List<Peer> peers = new ArrayList<>();
    for (int port = 8001; port <= 8003; port++) {
      peers.add(backend.add(new InetSocketAddress("127.0.0.1", port)));
    }
    return peers;
  }

  private static List<Peer> picks(AppBackend backend, int count, long now) {
    List<Peer> picked = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      picked.add(backend.pick(Set.of(), now));
    }
    return picked;
  }

  @Test
  void roundRobinTakesEachPeerInTurn() {
    AppBackend backend = backend(App.Balance.ROUND_ROBIN);
    List<Peer> p = threePeers(backend);
    assertThat(picks(backend, 6, System.nanoTime()))
        .containsExactly(p.get(0), p.get(1), p.get(2), p.get(0), p.get(1), p.get(2));
  }

  @Test
  void roundRobinIgnoresRequestsInFlight() {
    AppBackend backend = backend(App.Balance.ROUND_ROBIN);
    List<Peer> p = threePeers(backend);
    p.get(0).begin();
    p.get(0).begin();
    assertThat(picks(backend, 3, System.nanoTime())).containsExactlyElementsOf(p);
  }

  @Test
  void leastConnTakesThePeerWithFewestRequestsInFlight() {
    AppBackend backend = backend(App.Balance.LEAST_CONN);
    List<Peer> p = threePeers(backend);
    p.get(0).begin();
    p.get(0).begin();
    p.get(1).begin();
    assertThat(backend.pick(Set.of(), System.nanoTime())).isSameAs(p.get(2));
    p.get(2).begin();
    p.get(2).begin();
    p.get(2).begin();
    assertThat(backend.pick(Set.of(), System.nanoTime())).isSameAs(p.get(1));
    p.get(0).end();
    p.get(0).end();
    assertThat(backend.pick(Set.of(), System.nanoTime())).isSameAs(p.get(0));
  }

  @Test
  void leastConnSharesEqualPeersInRoundRobinOrder() {
    AppBackend backend = backend(App.Balance.LEAST_CONN);
    List<Peer> p = threePeers(backend);
    assertThat(picks(backend, 6, System.nanoTime()))
        .containsExactly(p.get(0), p.get(1), p.get(2), p.get(0), p.get(1), p.get(2));
  }

  @Test
  void peersAlreadyTriedForThisRequestAreSkippedUntilNoneIsLeft() {
    for (App.Balance balance : App.Balance.values()) {
      AppBackend backend = backend(balance);
      List<Peer> p = threePeers(backend);
      List<Peer> tried = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        Peer next = backend.pick(tried, System.nanoTime());
        assertThat(tried).as(balance.name()).doesNotContain(next);
        tried.add(next);
      }
      assertThat(tried).as(balance.name()).containsExactlyInAnyOrderElementsOf(p);
      assertThat(backend.pick(tried, System.nanoTime())).as(balance.name()).isNull();
    }
  }

  @Test
  void aFailedPeerIsPassedOverDuringItsBackoffWhichDoublesUpToThirtySeconds() {
    AppBackend backend = backend(App.Balance.ROUND_ROBIN);
    List<Peer> p = threePeers(backend);
    Peer failing = p.get(1);

    long[] backoffs = {1, 2, 4, 8, 16, 30, 30};
    for (long seconds : backoffs) {
      long before = System.nanoTime();
      failing.failed();
      long after = System.nanoTime();
      // Until its backoff ends (counted from the failure) it takes nothing...
      assertThat(picks(backend, 6, before + seconds * SECOND - 1))
          .as("within %d s", seconds)
          .doesNotContain(failing)
          .contains(p.get(0), p.get(2));
      // ...and then it is back in turn.
      assertThat(picks(backend, 3, after + seconds * SECOND))
          .as("after %d s", seconds)
          .contains(failing);
    }
  }

  @Test
  void aSuccessEndsTheBackoffAndResetsItsDoubling() {
    AppBackend backend = backend(App.Balance.ROUND_ROBIN);
    List<Peer> p = threePeers(backend);
    Peer peer = p.get(0);
    peer.failed();
    peer.failed();
    peer.succeeded();
    assertThat(picks(backend, 3, System.nanoTime())).contains(peer);

    long before = System.nanoTime();
    peer.failed();
    long after = System.nanoTime();
    assertThat(picks(backend, 3, before + SECOND - 1)).doesNotContain(peer);
    assertThat(picks(backend, 3, after + SECOND)).as("1 s again, not 4 s").contains(peer);
  }

  @Test
  void activeHealthTakesAPeerOutAndPutsItBack() {
    AppBackend backend = backend(App.Balance.LEAST_CONN);
    List<Peer> p = threePeers(backend);
    p.get(2).healthy(false);
    assertThat(picks(backend, 6, System.nanoTime())).doesNotContain(p.get(2));
    p.get(2).healthy(true);
    assertThat(backend.pick(Set.of(), System.nanoTime()))
        .as("idle and healthy again: the least loaded")
        .isIn(p);
    assertThat(picks(backend, 3, System.nanoTime())).contains(p.get(2));
  }

  @Test
  void whenEveryPeerIsMarkedDownTheyAreTriedAnywayRatherThanAnswering502() {
    AppBackend backend = backend(App.Balance.ROUND_ROBIN);
    List<Peer> p = threePeers(backend);
    p.get(0).failed();
    p.get(1).healthy(false);
    p.get(2).failed();
    List<Peer> tried = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      tried.add(backend.pick(tried, System.nanoTime()));
    }
    assertThat(tried).containsExactlyInAnyOrderElementsOf(p);
    assertThat(backend.pick(tried, System.nanoTime())).isNull();
  }

  @Test
  void anAvailablePeerIsPreferredToOnesMarkedDown() {
    AppBackend backend = backend(App.Balance.ROUND_ROBIN);
    List<Peer> p = threePeers(backend);
    p.get(0).failed();
    p.get(1).healthy(false);
    assertThat(picks(backend, 4, System.nanoTime())).containsOnly(p.get(2));
  }

  @Test
  void noPeerNoPick() {
    assertThat(backend(App.Balance.ROUND_ROBIN).pick(Set.of(), System.nanoTime())).isNull();
  }

  @Test
  void addingAnAddressTwiceKeepsOnePeer() {
    AppBackend backend = backend(App.Balance.ROUND_ROBIN);
    Peer first = backend.add(new InetSocketAddress("127.0.0.1", 8001));
    assertThat(backend.add(new InetSocketAddress("127.0.0.1", 8001))).isSameAs(first);
    assertThat(backend.peers()).containsExactly(first);
  }

  @Test
  void aRemovedPeerIsRetiredAndNoLongerPicked() {
    AppBackend backend = backend(App.Balance.ROUND_ROBIN);
    List<Peer> p = threePeers(backend);
    backend.remove(p.get(1));
    backend.remove(p.get(2).address());
    assertThat(p.get(1).retired()).isTrue();
    assertThat(p.get(2).retired()).isTrue();
    assertThat(picks(backend, 3, System.nanoTime())).containsOnly(p.get(0));
  }

  @Test
  void theReleaseFilesComeFromIsSetAtTheFirstGenerationAndBySwitchesAsARealPath(
      @org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
    AppBackend backend = backend(App.Balance.ROUND_ROBIN);
    assertThat(backend.release()).as("no generation yet").isNull();
    Path one = java.nio.file.Files.createDirectories(tmp.resolve("releases/1"));
    Path two = java.nio.file.Files.createDirectories(tmp.resolve("releases/2"));
    Path current = java.nio.file.Files.createSymbolicLink(tmp.resolve("current"), two);

    backend.serveFrom(one);
    assertThat(backend.release()).isEqualTo(one.toRealPath());
    backend.replaceAll(List.of(), current);
    assertThat(backend.release()).isEqualTo(two.toRealPath());
  }

  @Test
  void aDeploySwitchReplacesEveryPeerInOneStepAndRetiresTheOldOnes() {
    AppBackend backend = backend(App.Balance.ROUND_ROBIN);
    List<Peer> old = threePeers(backend);
    Peer kept = old.get(0);
    Peer fresh = backend.standby(new InetSocketAddress("127.0.0.1", 9001));
    assertThat(picks(backend, 6, System.nanoTime()))
        .as("standby: out of rotation")
        .doesNotContain(fresh);

    backend.replaceAll(List.of(kept, fresh), Path.of("/"));
    assertThat(backend.peers()).containsExactly(kept, fresh);
    assertThat(picks(backend, 4, System.nanoTime())).containsOnly(kept, fresh);
    assertThat(kept.retired()).isFalse();
    assertThat(old.get(1).retired()).isTrue();
    assertThat(old.get(2).retired()).isTrue();
  }

  @Test
  void labelsNameTheAddressAsLogsShowIt() {
    AppBackend backend = backend(App.Balance.ROUND_ROBIN);
    assertThat(backend.add(new InetSocketAddress("127.0.0.1", 8001)).label())
        .isEqualTo("127.0.0.1:8001");
    assertThat(backend.add(new InetSocketAddress("::1", 8002)).label())
        .isEqualTo("[0:0:0:0:0:0:0:1]:8002");
    assertThat(backend.add(java.net.UnixDomainSocketAddress.of("/run/berth/web.sock")).label())
        .isEqualTo("unix:/run/berth/web.sock");
  }
}
