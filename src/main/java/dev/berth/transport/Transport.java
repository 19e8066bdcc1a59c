package dev.berth.transport;

import static java.util.Objects.requireNonNull;

import dev.berth.config.EdgeSettings.IoTransport;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringDomainSocketChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerDomainSocketChannel;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;

/**
 * The Netty transport berth runs on: io_uring or epoll where they load, NIO otherwise. The edge and
 * the upstream side share it so that a proxied exchange stays on one event loop.
 */
public final class Transport {

  private final String name;
  private final IoHandlerFactory ioHandlerFactory;
  private final Class<? extends ServerChannel> serverChannel;
  private final Class<? extends ServerChannel> serverDomainChannel;
  private final ChannelFactory<? extends Channel> tcpChannels;

  /** For IPv4 addresses: with epoll an IPv4 socket, see {@link #clientChannel}. */
  private final ChannelFactory<? extends Channel> tcp4Channels;

  private final ChannelFactory<? extends Channel> unixChannels;

  /** Native (epoll or io_uring): unix socket addresses are Netty's {@link DomainSocketAddress}. */
  private final boolean nativeUnix;

  private Transport(
      String name,
      IoHandlerFactory ioHandlerFactory,
      Class<? extends ServerChannel> serverChannel,
      Class<? extends ServerChannel> serverDomainChannel,
      ChannelFactory<? extends Channel> tcpChannels,
      ChannelFactory<? extends Channel> tcp4Channels,
      ChannelFactory<? extends Channel> unixChannels,
      boolean nativeUnix) {
    this.name = name;
    this.ioHandlerFactory = ioHandlerFactory;
    this.serverChannel = serverChannel;
    this.serverDomainChannel = serverDomainChannel;
    this.tcpChannels = tcpChannels;
    this.tcp4Channels = tcp4Channels;
    this.unixChannels = unixChannels;
    this.nativeUnix = nativeUnix;
  }

  /**
   * The transport {@code wanted} names; for {@code AUTO} the best this kernel allows.
   *
   * @throws IllegalStateException when a named native transport does not load here, with why
   */
  public static Transport of(IoTransport wanted) {
    requireNonNull(wanted, "wanted");
    return switch (wanted) {
      case AUTO -> IoUring.isAvailable() ? ioUring() : Epoll.isAvailable() ? epoll() : nio();
      case IO_URING -> {
        if (!IoUring.isAvailable()) {
          throw unavailable(wanted, IoUring.unavailabilityCause());
        }
        yield ioUring();
      }
      case EPOLL -> {
        if (!Epoll.isAvailable()) {
          throw unavailable(wanted, Epoll.unavailabilityCause());
        }
        yield epoll();
      }
      case NIO -> nio();
    };
  }

  private static IllegalStateException unavailable(IoTransport wanted, Throwable cause) {
    return new IllegalStateException(
        "[edge] transport = \""
            + wanted.configName()
            + "\" is not available here: "
            + cause.getMessage()
            + " (\"auto\" picks what is)");
  }

  private static Transport ioUring() {
    return new Transport(
        "io_uring",
        IoUringIoHandler.newFactory(),
        IoUringServerSocketChannel.class,
        IoUringServerDomainSocketChannel.class,
        IoUringSocketChannel::new,
        // Netty (to 4.2.21) offers no IPv4-only io_uring socket: the dual-stack one, as for other
        // addresses.
        IoUringSocketChannel::new,
        IoUringDomainSocketChannel::new,
        true);
  }

  private static Transport epoll() {
    return new Transport(
        "epoll",
        EpollIoHandler.newFactory(),
        EpollServerSocketChannel.class,
        EpollServerDomainSocketChannel.class,
        EpollSocketChannel::new,
        () -> new EpollSocketChannel(SocketProtocolFamily.INET),
        EpollDomainSocketChannel::new,
        true);
  }

  private static Transport nio() {
    return new Transport(
        "nio",
        NioIoHandler.newFactory(),
        NioServerSocketChannel.class,
        NioServerDomainSocketChannel.class,
        NioSocketChannel::new,
        NioSocketChannel::new,
        NioDomainSocketChannel::new,
        false);
  }

  public String name() {
    return name;
  }

  public EventLoopGroup newEventLoopGroup(int threads, String threadName) {
    requireNonNull(threadName, "threadName");
    return new MultiThreadIoEventLoopGroup(
        threads,
        new io.netty.util.concurrent.DefaultThreadFactory(threadName, true),
        ioHandlerFactory);
  }

  public Class<? extends ServerChannel> serverChannel() {
    return serverChannel;
  }

  /** The server channel of a unix-socket listener; it binds a {@link #unixAddress}. */
  public Class<? extends ServerChannel> serverDomainChannel() {
    return serverDomainChannel;
  }

  /**
   * Makes client channels for connecting to the given address. With epoll, an IPv4 address gets an
   * IPv4 socket: Netty's default is a dual-stack IPv6 one, which costs a setsockopt per connection
   * (to apps that close every connection, one per request) and IPv4-mapped addresses.
   */
  public ChannelFactory<? extends Channel> clientChannel(SocketAddress address) {
    if (isUnix(address)) {
      return unixChannels;
    }
    boolean ipv4 =
        address instanceof InetSocketAddress inet && inet.getAddress() instanceof Inet4Address;
    return ipv4 ? tcp4Channels : tcpChannels;
  }

  /** A unix socket address in the form this transport's channels take. */
  public SocketAddress unixAddress(Path socket) {
    return nativeUnix
        ? new DomainSocketAddress(socket.toFile())
        : UnixDomainSocketAddress.of(socket);
  }

  /** Whether {@code address} is a unix socket's, in either form (native or the JDK's). */
  public static boolean isUnix(SocketAddress address) {
    return address instanceof DomainSocketAddress || address instanceof UnixDomainSocketAddress;
  }
}
