package dev.berth.config;

import static java.util.Objects.requireNonNull;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The peers whose forwarded fields berth keeps ({@code [edge] trusted_proxies}): address blocks,
 * and "unix:" for every peer of a unix-socket listener (as nginx's {@code set_real_ip_from unix:}),
 * which has no address to match.
 *
 * @param blocks the address blocks
 * @param unix whether peers on unix-socket listeners are trusted
 */
public record TrustedProxies(List<Cidr> blocks, boolean unix) {

  /** Nobody: the default. */
  public static final TrustedProxies NONE = new TrustedProxies(List.of(), false);

  /** How berth.toml writes the entry that stands for unix-socket peers. */
  public static final String UNIX_ENTRY = "unix:";

  public TrustedProxies {
    blocks = List.copyOf(requireNonNull(blocks, "blocks"));
  }

  /** Address blocks only. */
  public static TrustedProxies of(List<Cidr> blocks) {
    return new TrustedProxies(blocks, false);
  }

  /** Whether nobody is trusted. */
  public boolean none() {
    return blocks.isEmpty() && !unix;
  }

  /**
   * Whether a connection's peer is trusted.
   *
   * @param peer its IP address; null when it has none
   * @param unixPeer whether it came through a unix-socket listener
   */
  public boolean trustsPeer(InetAddress peer, boolean unixPeer) {
    return unixPeer ? unix : contains(peer);
  }

  /** Whether {@code address} (a peer's, or a hop of X-Forwarded-For) is in one of the blocks. */
  public boolean contains(InetAddress address) {
    return Cidr.anyContains(blocks, address);
  }

  @Override
  public String toString() {
    List<String> entries = new ArrayList<>();
    blocks.forEach(b -> entries.add(b.toString()));
    if (unix) {
      entries.add(UNIX_ENTRY);
    }
    return entries.toString();
  }
}
