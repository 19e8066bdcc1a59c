package dev.berth.upstream;

import static java.util.Objects.requireNonNull;

import io.netty.handler.codec.http.HttpRequest;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * One address of an app (an instance it runs, or an upstream it was given) and what the edge has
 * learned about it: requests in flight and in all, and whether it failed lately.
 */
public final class Peer {

  private static final long FIRST_BACKOFF_NANOS = 1_000_000_000L;
  private static final long MAX_BACKOFF_NANOS = 30_000_000_000L;

  private final SocketAddress address;
  private final String label;
  private final AtomicInteger active = new AtomicInteger();

  /** Requests sent to it since it joined (a LongAdder: bumped from every event loop). */
  private final LongAdder requests = new LongAdder();

  private final AtomicInteger failures = new AtomicInteger();
  private volatile long downUntilNanos;

  /** Set by the active health check; a peer failing it takes no traffic until it passes. */
  private volatile boolean unhealthy;

  /**
   * Out of rotation for good (stopped, or replaced by a deploy): its connections are not reused.
   */
  private volatile boolean retired;

  /**
   * Its open tunnels (upgraded connections), which also count as requests in flight until they
   * close: a drain waits for them, then ends them ({@link #closeTunnels}).
   */
  private final Set<Tunneled> tunnels = ConcurrentHashMap.newKeySet();

  private static final DrainWatch[] UNWATCHED = {};

  /**
   * The drains that watch how its requests end: none nearly always. Replaced whole under this
   * peer's lock, which also guards what the watches record.
   */
  private volatile DrainWatch[] watches = UNWATCHED;

  Peer(SocketAddress address) {
    this.address = requireNonNull(address, "address");
    this.label = label(address);
  }

  public SocketAddress address() {
    return address;
  }

  /** "unix:/run/x.sock" or "127.0.0.1:8000", for logs and messages. */
  public String label() {
    return label;
  }

  /** Requests to it in flight now. */
  public int active() {
    return active.get();
  }

  /** Requests sent to it since it joined, for recycling after max_requests. */
  public long requests() {
    return requests.sum();
  }

  public void begin() {
    active.incrementAndGet();
    requests.increment();
  }

  /** A request to it ended, with nothing to tell a drain that watches the peer about how. */
  public void end() {
    active.decrementAndGet();
  }

  /**
   * A request to it ended (or a tunnel through it closed). Only a drain that watches the peer
   * records how: otherwise this is the count's decrement and nothing else.
   *
   * @param request the request, for its method and path
   * @param status the status the client got, or 0
   * @param startedNanos when the exchange first tried an instance ({@link System#nanoTime}); 0 when
   *     unknown
   */
  public void end(
      RequestOutcome.Kind kind,
      RequestOutcome.Cause cause,
      HttpRequest request,
      int status,
      long startedNanos) {
    if (watches.length == 0) {
      active.decrementAndGet();
      return;
    }
    long now = System.nanoTime();
    RequestOutcome outcome =
        new RequestOutcome(
            kind,
            cause,
            request.method().name(),
            RequestOutcome.pathOf(request.uri()),
            status,
            startedNanos == 0 ? null : Duration.ofNanos(now - startedNanos),
            now);
    // Recorded and uncounted in one step, so that a take sees it open or ended, never both.
    synchronized (this) {
      for (DrainWatch watch : watches) {
        watch.ended(outcome);
      }
      active.decrementAndGet();
    }
  }

  /**
   * From now on, how its requests end is recorded in a watch of the caller's own (a drain began: it
   * left the rotation), until {@link #unwatch}. Drains that overlap (a deploy's, and its instance's
   * own stop) each get theirs.
   */
  public synchronized DrainWatch watch() {
    DrainWatch watch = new DrainWatch(this);
    DrainWatch[] more = Arrays.copyOf(watches, watches.length + 1);
    more[watches.length] = watch;
    watches = more;
    return watch;
  }

  /** That drain is over: nothing more is recorded for it. */
  public synchronized void unwatch(DrainWatch watch) {
    watches = Arrays.stream(watches).filter(w -> w != watch).toArray(DrainWatch[]::new);
  }

  /** A tunnel through this peer opened; it stays counted until {@link #tunnelClosed}. */
  public void tunnelOpened(Tunneled tunnel) {
    tunnels.add(tunnel);
  }

  public void tunnelClosed(Tunneled tunnel) {
    tunnels.remove(tunnel);
  }

  /** Tunnels open through it now. */
  public int tunnels() {
    return tunnels.size();
  }

  /**
   * Ends every tunnel open through it (its instance is about to stop); completes once all are
   * closed.
   */
  public CompletableFuture<Void> closeTunnels() {
    return CompletableFuture.allOf(
        tunnels.stream().map(Tunneled::goAway).toArray(CompletableFuture[]::new));
  }

  /** Whether it left the rotation for good; a connection to it is closed after its exchange. */
  public boolean retired() {
    return retired;
  }

  void retire() {
    retired = true;
  }

  boolean available(long now) {
    return !unhealthy && now - downUntilNanos >= 0;
  }

  /**
   * A connection was refused or reset: take the peer out of rotation for a while, longer after each
   * failure in a row (1 s, 2 s, 4 s ... 30 s), so a dead instance costs few requests.
   */
  public void failed() {
    int n = Math.min(failures.incrementAndGet(), 16);
    long backoff = Math.min(MAX_BACKOFF_NANOS, FIRST_BACKOFF_NANOS << (n - 1));
    downUntilNanos = System.nanoTime() + backoff;
  }

  public void succeeded() {
    if (failures.get() != 0) {
      failures.set(0);
      downUntilNanos = System.nanoTime();
    }
  }

  void healthy(boolean healthy) {
    unhealthy = !healthy;
  }

  boolean healthy() {
    return !unhealthy;
  }

  private static String label(SocketAddress address) {
    if (address instanceof InetSocketAddress inet) {
      String host =
          inet.getAddress() == null ? inet.getHostString() : inet.getAddress().getHostAddress();
      return (host.contains(":") ? "[" + host + "]" : host) + ":" + inet.getPort();
    }
    // Netty's DomainSocketAddress and the JDK's UnixDomainSocketAddress both print their path.
    String text = address.toString();
    return text.startsWith("unix:") ? text : "unix:" + text;
  }

  @Override
  public String toString() {
    return label;
  }
}
