package dev.berth.tls;

import static java.util.Objects.requireNonNull;

import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslContextOption;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLException;

/**
 * How berth's server-side TLS contexts are made: OpenSSL (BoringSSL, through Netty's tcnative)
 * where it loads, else the JDK's engine; TLS 1.2 and 1.3 only; Mozilla's "intermediate" ciphers for
 * TLS 1.2 in the server's order; session tickets with rotating keys ({@link TicketKeys}).
 */
public final class ServerContexts {

  /** TLS 1.3 first: the newest version both sides have wins. */
  static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

  /**
   * Mozilla's "intermediate" configuration (version 5.7), in its order, as IANA/Java names: the
   * three TLS 1.3 suites, then ECDHE with AES-GCM or ChaCha20-Poly1305 for TLS 1.2. Its DHE suites
   * are left to the provider filter: BoringSSL has none, and ECDHE covers every client Mozilla
   * lists.
   */
  static final List<String> CIPHERS =
      List.of(
          "TLS_AES_128_GCM_SHA256",
          "TLS_AES_256_GCM_SHA384",
          "TLS_CHACHA20_POLY1305_SHA256",
          "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
          "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
          "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
          "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
          "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
          "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
          "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
          "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
          "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

  /**
   * What ALPN offers, in berth's order of preference: HTTP/2, then HTTP/1.1. The edge gives the
   * connection the pipeline of the protocol chosen (edge.ProtocolChoice).
   */
  static final List<String> ALPN =
      List.of(ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1);

  /** Key exchange groups, Mozilla's "intermediate" ones in its order. */
  static final List<String> GROUPS = List.of("X25519", "P-256", "P-384");

  /** RFC 8737: the protocol a TLS-ALPN-01 validation asks for. */
  public static final String ACME_TLS_1 = "acme-tls/1";

  private final SslProvider provider;
  private final TicketKeys tickets = new TicketKeys();

  private ServerContexts(SslProvider provider) {
    this.provider = provider;
  }

  /** OpenSSL where Netty's tcnative loads, else the JDK. */
  public static ServerContexts best() {
    return new ServerContexts(OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK);
  }

  /** The JDK's engine, whatever else loads (tests of the fallback). */
  static ServerContexts jdk() {
    return new ServerContexts(SslProvider.JDK);
  }

  /** For berth's start line: "TLS by BoringSSL" or "TLS by the JDK". */
  public String describe() {
    if (provider == SslProvider.JDK) {
      return "TLS by the JDK";
    }
    String version = OpenSsl.versionString();
    return "TLS by " + (version == null ? "OpenSSL" : version);
  }

  SslProvider provider() {
    return provider;
  }

  /** Whether this provider's engines need the server's cipher order set per engine. */
  boolean jdkEngine() {
    return provider == SslProvider.JDK;
  }

  TicketKeys tickets() {
    return tickets;
  }

  /** A context that presents {@code chain} (leaf first) and offers HTTP/2 and HTTP/1.1 by ALPN. */
  SslContext serving(PrivateKey key, List<X509Certificate> chain) {
    return build(key, chain, ALPN);
  }

  /**
   * A context for a TLS-ALPN-01 validation (RFC 8737): the challenge certificate, and "acme-tls/1"
   * as the only protocol.
   */
  SslContext challenge(PrivateKey key, X509Certificate certificate) {
    return build(key, List.of(certificate), List.of(ACME_TLS_1));
  }

  private SslContext build(PrivateKey key, List<X509Certificate> chain, List<String> alpn) {
    requireNonNull(key, "key");
    requireNonNull(chain, "chain");
    try {
      SslContextBuilder builder =
          SslContextBuilder.forServer(key, chain.toArray(X509Certificate[]::new));
      if (provider != SslProvider.JDK) {
        // Mozilla's "intermediate" groups; the JDK's defaults are these already, less P-521.
        builder.option(OpenSslContextOption.GROUPS, GROUPS.toArray(String[]::new));
      }
      SslContext context =
          builder
              .sslProvider(provider)
              .protocols(PROTOCOLS)
              .ciphers(CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
              .applicationProtocolConfig(
                  new ApplicationProtocolConfig(
                      ApplicationProtocolConfig.Protocol.ALPN,
                      ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                      ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                      alpn))
              .build();
      tickets.manage(context);
      return context;
    } catch (SSLException e) {
      throw new IllegalArgumentException(
          "cannot use this certificate and key: " + e.getMessage(), e);
    }
  }
}
