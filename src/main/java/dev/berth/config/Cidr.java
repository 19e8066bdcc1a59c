package dev.berth.config;

import static java.util.Objects.requireNonNull;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/** An address block such as 10.0.0.0/8 or fd00::/8; a single address is a /32 or /128. */
public record Cidr(byte[] network, int prefixLength) {

  public Cidr {
    requireNonNull(network, "network");
    network = network.clone();
  }

  /**
   * Parses "10.0.0.0/8", "127.0.0.1", "::1/128". Only IP literals: never looks a name up.
   *
   * @throws IllegalArgumentException when it is not one
   */
  public static Cidr parse(String text) {
    requireNonNull(text, "text");
    int slash = text.indexOf('/');
    String address = slash < 0 ? text : text.substring(0, slash);
    // IPv4 only as a dotted quad of decimal bytes: InetAddress would read "10" as 0.0.0.10 and
    // look "999.1.1.1" up as a host name.
    String octet = "(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])";
    if (!address.matches("(" + octet + "\\.){3}" + octet + "|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*")) {
      throw new IllegalArgumentException("not an IP address: " + address);
    }
    byte[] bytes;
    try {
      bytes = InetAddress.getByName(address).getAddress();
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("not an IP address: " + address);
    }
    int bits = bytes.length * 8;
    int prefix = bits;
    if (slash >= 0) {
      try {
        prefix = Integer.parseInt(text.substring(slash + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("not a prefix length: " + text.substring(slash + 1));
      }
      if (prefix < 0 || prefix > bits) {
        throw new IllegalArgumentException("prefix length must be 0.." + bits);
      }
    }
    return new Cidr(bytes, prefix);
  }

  /** Whether {@code address} is in one of {@code blocks}; false for no address (null). */
  public static boolean anyContains(List<Cidr> blocks, InetAddress address) {
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

  /** A copy: the record's own array must not change under it. */
  @Override
  public byte[] network() {
    return network.clone();
  }

  public boolean contains(InetAddress address) {
    byte[] candidate = address.getAddress();
    if (candidate.length != network.length) {
      // An IPv4 peer on a dual-stack socket arrives as ::ffff:a.b.c.d; Java hands it over as IPv4.
      return false;
    }
    int full = prefixLength / 8;
    for (int i = 0; i < full; i++) {
      if (candidate[i] != network[i]) {
        return false;
      }
    }
    int rest = prefixLength % 8;
    if (rest == 0) {
      return true;
    }
    int mask = 0xff << (8 - rest) & 0xff;
    return (candidate[full] & mask) == (network[full] & mask);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Cidr other
        && prefixLength == other.prefixLength
        && java.util.Arrays.equals(network, other.network);
  }

  @Override
  public int hashCode() {
    return 31 * java.util.Arrays.hashCode(network) + prefixLength;
  }

  @Override
  public String toString() {
    try {
      return InetAddress.getByAddress(network).getHostAddress() + "/" + prefixLength;
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }
}
