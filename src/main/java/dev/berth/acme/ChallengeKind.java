package dev.berth.acme;

import org.shredzone.acme4j.challenge.Http01Challenge;
import org.shredzone.acme4j.challenge.TlsAlpn01Challenge;

/**
 * The challenges berth answers itself. DNS-01 (and so wildcards) needs a DNS provider: not here.
 */
public enum ChallengeKind {
  /** A plain listener answers {@code /.well-known/acme-challenge/TOKEN}. */
  HTTP_01(Http01Challenge.TYPE),
  /** A TLS listener presents a challenge certificate to a handshake offering "acme-tls/1". */
  TLS_ALPN_01(TlsAlpn01Challenge.TYPE);

  private final String type;

  ChallengeKind(String type) {
    this.type = type;
  }

  /** The challenge's type as ACME names it ("http-01"). */
  public String type() {
    return type;
  }
}
