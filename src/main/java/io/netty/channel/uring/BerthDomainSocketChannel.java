package io.netty.channel.uring;

import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelPromise;
import io.netty.channel.unix.DomainSocketAddress;
import java.net.SocketAddress;

/**
 * berth's io_uring channel to an app's unix socket: Netty's {@link IoUringDomainSocketChannel} for
 * bytes only, reading as Netty's TCP channel does. It keeps one multishot poll armed instead of
 * arming a poll before every read: that poll was an io_uring operation more on every response an
 * app sent over a unix socket, the one the TCP upstream did not pay (bench/RESULTS.md).
 *
 * <p>Netty (up to 4.2.20 at least) keeps that poll one-shot. A multishot poll reports edges, so a
 * read loop has to know when it has read the socket empty; before Linux 6.17 a unix socket did not
 * tell io_uring ({@code IORING_CQE_F_SOCK_NONEMPTY}). Where it does ({@link #isSupported()}, Netty's
 * own probe), one more case is left, handled in {@link #shouldCompleteReadLoop}: the end of the
 * stream. berth uses Netty's channel where this one is not supported.
 *
 * <p>It lives in Netty's package because the stream channel it extends is package-private there;
 * a Netty upgrade that changes it fails the build, not the proxy.
 */
public final class BerthDomainSocketChannel extends AbstractIoUringStreamChannel {

  private final IoUringStreamChannelConfig config = new IoUringStreamChannelConfig(this) {};
  private volatile DomainSocketAddress local;
  private volatile DomainSocketAddress remote;

  public BerthDomainSocketChannel() {
    super(null, LinuxSocket.newSocketDomain(), false);
    if (!isSupported()) {
      throw new IllegalStateException("io_uring here does not say whether a unix socket has unread bytes");
    }
  }

  /** Whether io_uring here says when a unix socket has unread bytes (Linux 6.17 and later). */
  public static boolean isSupported() {
    return IoUring.isAvailable() && IoUring.isUnixDomainSocketInqSupported();
  }

  @Override
  public ChannelConfig config() {
    return config;
  }

  @Override
  public DomainSocketAddress localAddress() {
    return local;
  }

  @Override
  public DomainSocketAddress remoteAddress() {
    return remote;
  }

  /**
   * A read ends its loop when the socket has no unread bytes, as on TCP, except once the app has
   * closed its end. TCP counts a pending end of stream as one unread byte; a unix socket does not.
   * An app that closes right after its last bytes (a close-delimited body) wakes the poll once for
   * both, and the read that takes the bytes finds the socket "empty": without this, the end would
   * never be read. Netty's one-shot poll found it by arming again.
   */
  @Override
  protected boolean shouldCompleteReadLoop(int flags, boolean multishot) {
    return socketIsEmpty(flags) && !peerClosed();
  }

  /**
   * Whether the app's end is known to be closed (the channel's POLLRDHUP came). Netty's read
   * handle keeps that to itself; it is the one reason that handle goes on reading without more
   * data, which is what asking it with "no more data" tells.
   */
  private boolean peerClosed() {
    return ((AbstractUringUnsafe) unsafe()).recvBufAllocHandle().continueReading(() -> false);
  }

  @Override
  protected AbstractUringUnsafe newUnsafe() {
    return new Unsafe();
  }

  private final class Unsafe extends IoUringStreamUnsafe {

    @Override
    public void connect(SocketAddress remoteAddress, SocketAddress localAddress, ChannelPromise promise) {
      // The addresses are set before the caller hears of the connection, as in Netty's channel:
      // berth keys its idle connections by remoteAddress().
      ChannelPromise connected =
          newPromise()
              .addListener(
                  (ChannelFuture future) -> {
                    if (!future.isSuccess()) {
                      promise.setFailure(future.cause());
                      return;
                    }
                    local = localAddress != null ? (DomainSocketAddress) localAddress : socket.localDomainSocketAddress();
                    remote = (DomainSocketAddress) remoteAddress;
                    promise.setSuccess();
                  });
      super.connect(remoteAddress, localAddress, connected);
    }
  }
}
