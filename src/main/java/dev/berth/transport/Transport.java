package dev.berth.transport;

import static java.util.Objects.requireNonNull;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ReflectiveChannelFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;

/**
 * The Netty transport berth runs on: native epoll where it loads, NIO otherwise. The edge and the
 * upstream side share it so that a proxied exchange stays on one event loop.
 */
public final class Transport {

  private final String name;
  private final IoHandlerFactory ioHandlerFactory;
  private final Class<? extends ServerChannel> serverChannel;
  private final Class<? extends Channel> tcpChannel;
  private final Class<? extends Channel> unixChannel;
  private final boolean epoll;

  private Transport(
      String name,
      IoHandlerFactory ioHandlerFactory,
      Class<? extends ServerChannel> serverChannel,
      Class<? extends Channel> tcpChannel,
      Class<? extends Channel> unixChannel,
      boolean epoll) {
    this.name = name;
    this.ioHandlerFactory = ioHandlerFactory;
    this.serverChannel = serverChannel;
    this.tcpChannel = tcpChannel;
    this.unixChannel = unixChannel;
    this.epoll = epoll;
  }

  /** Epoll when available and not disabled with {@code -Dberth.transport=nio}. */
  public static Transport best() {
    boolean wantNio = "nio".equalsIgnoreCase(System.getProperty("berth.transport", ""));
    if (!wantNio && Epoll.isAvailable()) {
      return new Transport(
          "epoll",
          EpollIoHandler.newFactory(),
          EpollServerSocketChannel.class,
          EpollSocketChannel.class,
          EpollDomainSocketChannel.class,
          true);
    }
    return new Transport(
        "nio",
        NioIoHandler.newFactory(),
        NioServerSocketChannel.class,
        NioSocketChannel.class,
        NioDomainSocketChannel.class,
        false);
  }

  public String name() {
    return name;
  }

  public EventLoopGroup newEventLoopGroup(int threads, String threadName) {
    requireNonNull(threadName, "threadName");
    return new MultiThreadIoEventLoopGroup(
        threads, new io.netty.util.concurrent.DefaultThreadFactory(threadName, true), ioHandlerFactory);
  }

  public Class<? extends ServerChannel> serverChannel() {
    return serverChannel;
  }

  /**
   * Makes client channels for connecting to the given address. With epoll, an IPv4 address gets an
   * IPv4 socket: Netty's default is a dual-stack IPv6 one, which costs a setsockopt per connection
   * (to apps that close every connection, one per request) and IPv4-mapped addresses.
   */
  public ChannelFactory<? extends Channel> clientChannel(SocketAddress address) {
    if (isUnix(address)) {
      return new ReflectiveChannelFactory<>(unixChannel);
    }
    if (epoll && address instanceof InetSocketAddress inet && inet.getAddress() instanceof Inet4Address) {
      return () -> new EpollSocketChannel(SocketProtocolFamily.INET);
    }
    return new ReflectiveChannelFactory<>(tcpChannel);
  }

  /** A unix socket address in the form this transport's channels take. */
  public SocketAddress unixAddress(Path socket) {
    return epoll ? new DomainSocketAddress(socket.toFile()) : UnixDomainSocketAddress.of(socket);
  }

  private static boolean isUnix(SocketAddress address) {
    return address instanceof DomainSocketAddress || address instanceof UnixDomainSocketAddress;
  }
}
