package dev.berth.acme;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;

/**
 * Where a TLS-ALPN-01 challenge (RFC 8737) is answered: the TLS listeners present {@code
 * certificate} to a handshake for {@code host} that offers the ALPN protocol "acme-tls/1", from
 * {@link #offer} until {@link #withdraw}. berth's certificate store implements it; the daemon hands
 * it over.
 */
public interface AlpnChallenges {

  /**
   * Presents {@code certificate} (self-signed, with the acmeIdentifier extension) for {@code host}.
   */
  void offer(String host, PrivateKey key, X509Certificate certificate);

  /** Stops presenting the challenge certificate for {@code host}. */
  void withdraw(String host);
}
