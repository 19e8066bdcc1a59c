package dev.berth.config;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.List;

/** What a listener does about TLS: its {@code tls} key. Absent, the listener speaks plain HTTP. */
public sealed interface ListenerTls
    permits ListenerTls.Plain, ListenerTls.Acme, ListenerTls.Internal, ListenerTls.Files {

  /** Whether connections to the listener are TLS connections. */
  default boolean secure() {
    return !(this instanceof Plain);
  }

  /** No {@code tls} key: plain HTTP. */
  record Plain() implements ListenerTls {}

  /** {@code tls = "acme"}: a certificate for every routed host, from an ACME CA. */
  record Acme() implements ListenerTls {}

  /** {@code tls = "internal"}: certificates from berth's own local CA. */
  record Internal() implements ListenerTls {}

  /**
   * {@code tls = { certificate = "...", key = "..." }} or an array of such tables: certificates
   * from files, chosen by SNI by the names in each certificate; the first is the default.
   */
  record Files(List<CertificateFile> pairs) implements ListenerTls {
    public Files {
      pairs = List.copyOf(pairs);
      if (pairs.isEmpty()) {
        throw new IllegalArgumentException("no certificate");
      }
    }
  }

  /**
   * A certificate chain and its private key, as PEM files.
   *
   * @param certificate the leaf first, then its intermediates (absolute)
   * @param key the leaf's private key (absolute)
   */
  record CertificateFile(Path certificate, Path key) {
    public CertificateFile {
      requireNonNull(certificate, "certificate");
      requireNonNull(key, "key");
    }
  }

  ListenerTls PLAIN = new Plain();
  ListenerTls ACME = new Acme();
  ListenerTls INTERNAL = new Internal();
}
