package dev.berth.access;

import dev.berth.config.Cidr;
import java.net.InetAddress;
import java.util.List;

/** Who a request comes from, as the access rules see it. */
final class ClientKeys {

  private ClientKeys() {}

  /**
   * The client's address: the connection's peer, or, when the peer is a trusted proxy, the last
   * address of X-Forwarded-For that is not one (nginx's real_ip_recursive). A header that does not
   * parse leaves the last trusted address found.
   *
   * @param peer the connection's peer, or null (none: a unix socket)
   * @param forwardedFor the X-Forwarded-For field (its lines joined with ","), or null
   */
  static InetAddress client(InetAddress peer, String forwardedFor, List<Cidr> trusted) {
    if (peer == null || forwardedFor == null || !isTrusted(peer, trusted)) {
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
      if (!isTrusted(hop, trusted)) {
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

  static boolean isTrusted(InetAddress address, List<Cidr> blocks) {
    return inAny(address, blocks);
  }

  static boolean inAny(InetAddress address, List<Cidr> blocks) {
    if (address == null) {
      return false;
    }
    for (Cidr cidr : blocks) {
      if (cidr.contains(address)) {
        return true;
      }
    }
    return false;
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
