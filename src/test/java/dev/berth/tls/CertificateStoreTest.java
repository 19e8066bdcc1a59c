package dev.berth.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.config.TlsSettings.UnknownNames;
import dev.berth.testing.TestPki;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import javax.net.ssl.SSLException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The certificate store behind real handshakes (a JDK client on loopback), with each TLS engine:
 * the certificate picked by SNI (exact, wildcard, unknown names), certificates swapped at runtime,
 * and the TLS-ALPN-01 hook the ACME part uses.
 */
class CertificateStoreTest {

  private static final TestPki PKI = new TestPki();

  static Stream<Supplier<ServerContexts>> engines() {
    return Stream.of(ServerContexts::best, ServerContexts::jdk);
  }

  private static CertificateStore store(ServerContexts contexts, UnknownNames unknown) {
    TestPki.Leaf fallback = PKI.leaf("default.test");
    CertificateStore store =
        new CertificateStore(
            contexts,
            unknown,
            new CertificateStore.Entry(
                contexts.serving(fallback.key(), List.of(fallback.certificate())),
                List.of(fallback.certificate()),
                false));
    put(store, "a.test", PKI.leaf("a.test"));
    put(store, "b.test", PKI.leaf("b.test"));
    put(store, "*.wild.test", PKI.leaf("*.wild.test"));
    return store;
  }

  private static void put(CertificateStore store, String host, TestPki.Leaf leaf) {
    store.put(host, leaf.key(), new X509Certificate[] {leaf.certificate()});
  }

  private static String names(X509Certificate certificate) {
    return String.join(",", HostNames.of(certificate));
  }

  @ParameterizedTest
  @MethodSource("engines")
  void sniPicksTheCertificateExactWildcardOrDefault(Supplier<ServerContexts> engine)
      throws Exception {
    CertificateStore store = store(engine.get(), UnknownNames.DEFAULT);
    try (Handshakes server = new Handshakes(() -> store)) {
      assertThat(names(server.handshake("a.test", List.of()).certificate())).isEqualTo("a.test");
      assertThat(names(server.handshake("B.TEST", List.of()).certificate())).isEqualTo("b.test");
      assertThat(names(server.handshake("x.wild.test", List.of()).certificate()))
          .isEqualTo("*.wild.test");
      // A wildcard covers one label only (RFC 6125).
      assertThat(names(server.handshake("y.x.wild.test", List.of()).certificate()))
          .isEqualTo("default.test");
      assertThat(names(server.handshake("unknown.test", List.of()).certificate()))
          .isEqualTo("default.test");
      assertThat(names(server.handshake(null, List.of()).certificate())).isEqualTo("default.test");
    }
  }

  @ParameterizedTest
  @MethodSource("engines")
  void refuseLeavesUnknownNamesWithoutAHandshake(Supplier<ServerContexts> engine) throws Exception {
    CertificateStore store = store(engine.get(), UnknownNames.REFUSE);
    try (Handshakes server = new Handshakes(() -> store)) {
      assertThat(names(server.handshake("a.test", List.of()).certificate())).isEqualTo("a.test");
      assertThatThrownBy(() -> server.handshake("unknown.test", List.of()))
          .isInstanceOf(java.io.IOException.class);
      assertThatThrownBy(() -> server.handshake(null, List.of()))
          .isInstanceOf(java.io.IOException.class);
    }
  }

  @ParameterizedTest
  @MethodSource("engines")
  void putAndRemoveTakeEffectAtTheNextHandshake(Supplier<ServerContexts> engine) throws Exception {
    CertificateStore store = store(engine.get(), UnknownNames.DEFAULT);
    try (Handshakes server = new Handshakes(() -> store)) {
      TestPki.Leaf renewed = PKI.leaf("a.test", "www.a.test");
      put(store, "a.test", renewed);
      assertThat(server.handshake("a.test", List.of()).certificate())
          .isEqualTo(renewed.certificate());
      assertThat(store.chain("a.test")).contains(List.of(renewed.certificate()));
      store.remove("a.test");
      assertThat(names(server.handshake("a.test", List.of()).certificate()))
          .isEqualTo("default.test");
      assertThat(store.chain("a.test")).isEmpty();
    }
  }

  @ParameterizedTest
  @MethodSource("engines")
  void alpnChallengeGetsTheChallengeCertificateOnlyWhenAcmeTlsIsOffered(
      Supplier<ServerContexts> engine) throws Exception {
    CertificateStore store = store(engine.get(), UnknownNames.DEFAULT);
    KeyPair keys = Certificates.newKeyPair();
    X509Certificate challenge =
        Certificates.selfSigned(keys, List.of("a.test"), java.time.Duration.ofDays(7));
    store.offerAlpnChallenge("a.test", keys.getPrivate(), challenge);
    try (Handshakes server = new Handshakes(() -> store)) {
      Handshakes.Seen validation = server.handshake("a.test", List.of("acme-tls/1"));
      assertThat(validation.certificate()).isEqualTo(challenge);
      assertThat(validation.alpn()).isEqualTo("acme-tls/1");
      // A browser's handshake meanwhile gets the certificate it always got.
      Handshakes.Seen browser = server.handshake("a.test", List.of("h2", "http/1.1"));
      assertThat(names(browser.certificate())).isEqualTo("a.test");
      assertThat(browser.alpn()).isEqualTo("h2");
      // Another host offering acme-tls/1 has no challenge: its own certificate.
      assertThat(names(server.handshake("b.test", List.of("acme-tls/1")).certificate()))
          .isEqualTo("b.test");
      store.withdrawAlpnChallenge("a.test");
      assertThat(names(server.handshake("a.test", List.of("acme-tls/1")).certificate()))
          .isEqualTo("a.test");
    }
  }

  @ParameterizedTest
  @MethodSource("engines")
  void onlyTls12And13WithIntermediateCiphers(Supplier<ServerContexts> engine) throws Exception {
    CertificateStore store = store(engine.get(), UnknownNames.DEFAULT);
    try (Handshakes server = new Handshakes(() -> store)) {
      assertThat(server.handshake("a.test", List.of()).protocol()).isEqualTo("TLSv1.3");
      Handshakes.Seen tls12 = server.handshake("a.test", List.of(), "TLSv1.2");
      assertThat(tls12.protocol()).isEqualTo("TLSv1.2");
      assertThat(ServerContexts.CIPHERS).contains(tls12.cipher());
      assertThatThrownBy(() -> server.handshake("a.test", List.of(), "TLSv1.1"))
          .isInstanceOf(SSLException.class);
    }
  }
}
