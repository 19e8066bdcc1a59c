package io.netty.channel.uring;

import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelPromise;
import io.netty.channel.unix.DomainSocketAddress;
import java.net.SocketAddress;

/**
 * berth's io_uring channel to an app's unix socket: Netty's {@link IoUringDomainSocketChannel} for
 * bytes only, with a receive always armed instead of a poll. Netty's channels wait for a poll to
 * say "readable" and only then submit the receive, so every response an app sent took two trips
 * through the event loop; here the kernel fills the armed receive as the bytes arrive
 * (bench/RESULTS.md, 2026-11-25 evening). The cost is one receive buffer held per connection while
 * it waits, which is right for the few connections berth keeps to each app and why the edge's
 * client connections keep Netty's poll.
 *
 * <p>Whether a read has emptied the socket comes from {@code IORING_CQE_F_SOCK_NONEMPTY}, which a
 * unix socket reports only from Linux 6.17 ({@link #isSupported()}, Netty's own probe); berth uses
 * Netty's channel where it does not.
 *
 * <p>It lives in Netty's package because the stream channel it extends is package-private there; a
 * Netty upgrade that changes it fails the build, not the proxy.
 */
public final class BerthDomainSocketChannel extends AbstractIoUringStreamChannel {

  private final IoUringStreamChannelConfig config = new IoUringStreamChannelConfig(this) {};
  private volatile DomainSocketAddress local;
  private volatile DomainSocketAddress remote;

  public BerthDomainSocketChannel() {
    super(null, LinuxSocket.newSocketDomain(), false);
    if (!isSupported()) {
      throw new IllegalStateException(
          "io_uring here does not say whether a unix socket has unread bytes");
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

  /** No poll before a read: the receive itself waits for the bytes. */
  @Override
  boolean isPollInFirst() {
    return false;
  }

  @Override
  protected AbstractUringUnsafe newUnsafe() {
    return new Unsafe();
  }

  private final class Unsafe extends IoUringStreamUnsafe {

    @Override
    public void connect(
        SocketAddress remoteAddress, SocketAddress localAddress, ChannelPromise promise) {
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
                    local =
                        localAddress != null
                            ? (DomainSocketAddress) localAddress
                            : socket.localDomainSocketAddress();
                    remote = (DomainSocketAddress) remoteAddress;
                    promise.setSuccess();
                  });
      super.connect(remoteAddress, localAddress, connected);
    }
  }
}
