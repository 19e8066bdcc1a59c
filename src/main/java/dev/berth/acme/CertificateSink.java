package dev.berth.acme;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * Where a host's certificate goes once it is issued (or found valid on disk): the TLS listeners'
 * certificate store, which swaps it in for new handshakes without closing a connection.
 */
public interface CertificateSink {

  /** Serves {@code chain} (the leaf first) with {@code key} for {@code host} from now on. */
  void install(String host, PrivateKey key, List<X509Certificate> chain);
}
