package dev.berth.access;

import dev.berth.config.Cidr;
import dev.berth.config.TrustedProxies;
import java.net.InetAddress;

/**
 * Who a request comes from, as the access rules, the rate limits and the access log see it: the one
 * place where the client behind trusted proxies is decided.
 */
public final class ClientKeys {

  private ClientKeys() {}

  /**
   * The client's address: the connection's peer, or, when the peer is trusted, the last address of
   * X-Forwarded-For that is not itself trusted (nginx's real_ip_recursive on). A header that does
   * not parse leaves the last trusted address found; a unix-socket peer has none of its own, so
   * then there is none.
   *
   * @param peer the connection's peer, or null (none: a unix socket)
   * @param unixPeer whether the connection came through a unix-socket listener
   * @param forwardedFor the X-Forwarded-For field (its lines joined with ","), or null
   * @return the client's address, or null when there is none to tell
   */
  public static InetAddress client(
      InetAddress peer, boolean unixPeer, String forwardedFor, TrustedProxies trusted) {
    if (forwardedFor == null || !trusted.trustsPeer(peer, unixPeer)) {
      return peer;
    }
    InetAddress client = peer;
    String[] hops = forwardedFor.split(",");
    for (int i = hops.length - 1; i >= 0; i--) {
      InetAddress hop = literal(hops[i].strip());
      if (hop == null) {
        return client;
      }
      client = hop;
      if (!trusted.contains(hop)) {
        return hop;
      }
    }
    return client;
  }

  /**
   * What a rate limit counts by: an IPv4 address whole, an IPv6 address by its /64 (one host
   * usually has a /64 whole, and could take a new address from it for every request). Never the
   * same for an IPv4 and an IPv6 client: an IPv6 /64 never starts with 32 one-bits (ff00::/8 is
   * multicast, never a source).
   */
  static long rateKey(InetAddress client) {
    if (client == null) {
      return 0;
    }
    byte[] a = client.getAddress();
    long key = 0;
    if (a.length == 4) {
      for (byte b : a) {
        key = key << 8 | (b & 0xff);
      }
      return 0xffff_ffff_0000_0000L | key;
    }
    for (int i = 0; i < 8; i++) {
      key = key << 8 | (a[i] & 0xff);
    }
    return key;
  }

  /** An IP literal (never a name: nothing is looked up), or null. */
  private static InetAddress literal(String text) {
    if (text.indexOf('/') >= 0) {
      return null;
    }
    if (text.startsWith("[") && text.endsWith("]")) {
      text = text.substring(1, text.length() - 1);
    }
    try {
      Cidr cidr = Cidr.parse(text);
      return InetAddress.getByAddress(cidr.network());
    } catch (IllegalArgumentException | java.net.UnknownHostException e) {
      return null;
    }
  }
}
