package dev.berth.acme;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/**
 * What {@code berth certs} shows of one host.
 *
 * @param host the name the certificate is for
 * @param issuer the issuer's common name (its whole name when it has none), or null before the
 *     first certificate
 * @param notAfter the end of the certificate's validity, or null before the first
 * @param nextRenewal when the next order is due (a renewal, or a retry after a failure), or null
 *     while one runs or when none will (a name that cannot be ordered)
 * @param lastError the last failure's reason (the CA's own words where it gave one) since the last
 *     success, or null
 * @param ordering whether an order is in progress
 */
public record HostStatus(
    String host,
    String issuer,
    Instant notAfter,
    Instant nextRenewal,
    String lastError,
    boolean ordering) {

  public HostStatus {
    requireNonNull(host, "host");
  }
}
