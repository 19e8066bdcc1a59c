package dev.berth.edge;

import dev.berth.transport.Transport;
import io.netty.channel.Channel;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AsciiString;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * A client connection's addresses as the access log and the forwarding headers write them. Worked
 * out once per connection: formatting them for every request was 3% of what a proxied request
 * allocates.
 *
 * @param peer the client's IP address, or null when the connection has none (a unix socket)
 * @param text the client's address as logged: its IP, "unix:" for a unix-socket peer (as nginx logs
 *     one), or what the channel says it is
 * @param ip the client's IP as a header value, or null when it has none
 * @param localPort the port the client connected to, as a header value, or null
 * @param secure whether the connection is a TLS one
 * @param unix whether it came through a unix-socket listener
 */
record ClientAddress(
    InetAddress peer,
    String text,
    AsciiString ip,
    AsciiString localPort,
    boolean secure,
    boolean unix) {

  /** How a unix-socket peer is shown: it has no address (nginx writes the same). */
  static final String UNIX = "unix:";

  /** A TCP connection's. */
  ClientAddress(
      InetAddress peer, String text, AsciiString ip, AsciiString localPort, boolean secure) {
    this(peer, text, ip, localPort, secure, false);
  }

  /** A plain TCP connection's. */
  ClientAddress(InetAddress peer, String text, AsciiString ip, AsciiString localPort) {
    this(peer, text, ip, localPort, false, false);
  }

  static ClientAddress of(Channel channel) {
    InetAddress peer =
        channel.remoteAddress() instanceof InetSocketAddress inet ? inet.getAddress() : null;
    // A unix-socket connection's own address is the listener's path (its peer's is often
    // unnamed).
    boolean unix = peer == null && Transport.isUnix(channel.localAddress());
    String text =
        peer != null
            ? peer.getHostAddress()
            : unix ? UNIX : String.valueOf(channel.remoteAddress());
    AsciiString localPort =
        channel.localAddress() instanceof InetSocketAddress local
            ? AsciiString.of(Integer.toString(local.getPort()))
            : null;
    // Header values as AsciiString: Netty's encoder copies those in one go, a String char by char.
    boolean secure = channel.pipeline().get(SslHandler.class) != null;
    return new ClientAddress(
        peer, text, peer == null ? null : AsciiString.of(text), localPort, secure, unix);
  }

  /**
   * The client as the access log writes it, given who {@code client} is behind trusted proxies
   * (access.ClientKeys): this connection's own text when that is its peer or there is none.
   */
  String logged(InetAddress client) {
    return client == null || client.equals(peer) ? text : client.getHostAddress();
  }
}
