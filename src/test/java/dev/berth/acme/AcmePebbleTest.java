package dev.berth.acme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.accesslog.AccessLog;
import dev.berth.config.AccessLogSpec;
import dev.berth.config.EdgeSettings;
import dev.berth.config.Listener;
import dev.berth.config.RouteLimits;
import dev.berth.edge.Edge;
import dev.berth.routing.RouteTable;
import dev.berth.routing.Router;
import dev.berth.testing.Await;
import dev.berth.testing.Curl;
import dev.berth.testing.Pebble;
import dev.berth.transport.Transport;
import dev.berth.upstream.Backends;
import io.netty.channel.EventLoopGroup;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Certificates from a real ACME CA (pebble), with the HTTP-01 challenges answered by a real berth
 * edge listening where pebble validates: issuance, the stored certificate used again, a challenge
 * that cannot be validated and a name the CA refuses (reported in the CA's words), and the renewal
 * of a short-lived certificate.
 */
class AcmePebbleTest {

  private static final Duration ORDER_TIMEOUT = Duration.ofSeconds(60);

  @TempDir static Path dir;

  private static EventLoopGroup group;
  private static AccessLog accessLog;
  private static Edge edge;
  private static int httpPort;
  private static final HttpChallenges http = new HttpChallenges();
  private static Pebble pebble;

  /** What the certificate store was given. */
  record Installed(String host, PrivateKey key, List<X509Certificate> chain) {}

  static final class RecordingSink implements CertificateSink {
    final LinkedBlockingQueue<Installed> installed = new LinkedBlockingQueue<>();

    @Override
    public void install(String host, PrivateKey key, List<X509Certificate> chain) {
      installed.add(new Installed(host, key, chain));
    }

    Installed next() throws InterruptedException {
      Installed next = installed.poll(ORDER_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      assertThat(next).as("a certificate installed within " + ORDER_TIMEOUT).isNotNull();
      return next;
    }
  }

  @BeforeAll
  static void startEdgeAndPebble() throws Exception {
    Assumptions.assumeTrue(
        Pebble.installed(), "pebble is not installed (scripts/install-deps.sh --tests)");
    EdgeSettings settings =
        new EdgeSettings(
            8 * 1024,
            8 * 1024,
            Duration.ofSeconds(10),
            Duration.ofSeconds(10),
            100,
            dev.berth.config.TrustedProxies.NONE,
            false,
            RouteLimits.standard(),
            1,
            EdgeSettings.IoTransport.NIO);
    Transport transport = Transport.of(EdgeSettings.IoTransport.NIO);
    group = transport.newEventLoopGroup(1, "acme-test-edge");
    accessLog = new AccessLog(new PrintStream(OutputStream.nullOutputStream()));
    AccessLogSpec off =
        new AccessLogSpec(false, Path.of("/dev/null"), AccessLogSpec.Format.COMBINED);
    edge =
        new Edge(
            transport,
            group,
            settings,
            new Router(RouteTable.of(List.of())),
            new Backends(),
            accessLog,
            route -> off);
    edge.answerAcmeChallenges(http::answer);
    httpPort = edge.bind(new Listener("127.0.0.1", 0)).port();
    pebble = Pebble.start(dir.resolve("pebble"), httpPort, 1, Duration.ofDays(90), "blocked.test");
  }

  @AfterAll
  static void stop() {
    if (pebble != null) {
      pebble.close();
    }
    if (edge != null) {
      edge.drain(Duration.ofSeconds(1));
    }
    if (group != null) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }
    if (accessLog != null) {
      accessLog.close();
    }
  }

  private static AcmeCertificates certificates(Path state, Pebble ca, CertificateSink sink)
      throws Exception {
    return new AcmeCertificates(
        state,
        new AcmeServer(ca.directory(), ca.trust(), "ops@example.com"),
        http,
        null,
        sink,
        System.out::println);
  }

  @Test
  void aHostGetsACertificateByHttp01AnsweredByTheEdge(@TempDir Path state) throws Exception {
    RecordingSink sink = new RecordingSink();
    try (AcmeCertificates certificates = certificates(state, pebble, sink)) {
      certificates.manage(List.of("site.test"));

      Installed installed = sink.next();
      assertThat(installed.host()).isEqualTo("site.test");
      X509Certificate leaf = installed.chain().get(0);
      assertThat(leaf.getSubjectAlternativeNames())
          .extracting(name -> (Object) name.get(1))
          .containsExactly((Object) "site.test");
      assertThat(installed.key().getAlgorithm()).isEqualTo("EC");
      verifies(installed.chain(), pebble.issuingRootCertificate());

      HostStatus status =
          Await.value(
              "the host's status after the order",
              () -> certificates.status().get(0),
              s -> !s.ordering() && s.nextRenewal() != null);
      assertThat(status.issuer()).startsWith("Pebble Intermediate CA");
      assertThat(status.notAfter()).isEqualTo(leaf.getNotAfter().toInstant());
      assertThat(status.lastError()).isNull();
      // Two thirds of 90 days, less up to three.
      assertThat(status.nextRenewal())
          .isBetween(
              leaf.getNotBefore().toInstant().plus(Duration.ofDays(57)),
              leaf.getNotBefore().toInstant().plus(Duration.ofDays(60)));

      Path root = certificates.directory();
      assertThat(mode(root.resolve("account.key"))).isEqualTo("rw-------");
      assertThat(mode(root.resolve("site.test/key.pem"))).isEqualTo("rw-------");
      assertThat(mode(root.resolve("site.test"))).isEqualTo("rwx------");
      assertThat(Files.readString(root.resolve("site.test/chain.pem")))
          .startsWith("-----BEGIN CERTIFICATE-----");
      assertThat(root.getParent()).isEqualTo(state.resolve("certs/acme"));
    }
  }

  @Test
  void aStoredCertificateIsUsedAgainNotOrderedAgain(@TempDir Path state) throws Exception {
    RecordingSink first = new RecordingSink();
    X509Certificate issued;
    try (AcmeCertificates certificates = certificates(state, pebble, first)) {
      certificates.manage(List.of("again.test"));
      issued = first.next().chain().get(0);
    }

    RecordingSink second = new RecordingSink();
    try (AcmeCertificates certificates = certificates(state, pebble, second)) {
      certificates.manage(List.of("again.test"));

      Installed installed = second.next();
      // A new order would have a new serial number.
      assertThat(installed.chain().get(0).getSerialNumber()).isEqualTo(issued.getSerialNumber());
      HostStatus status =
          Await.value(
              "the renewal planned",
              () -> certificates.status().get(0),
              s -> s.nextRenewal() != null);
      assertThat(status.ordering()).isFalse();
      assertThat(status.nextRenewal()).isAfter(java.time.Instant.now().plus(Duration.ofDays(50)));
    }
  }

  @Test
  void theAccountIsRegisteredOnceAndAChangedEmailIsSentToTheCa(@TempDir Path state)
      throws Exception {
    CertificateFiles files = new CertificateFiles(state, pebble.directory());
    var first =
        new AcmeAccount(new AcmeServer(pebble.directory(), pebble.trust(), "a@example.com"), files)
            .login();
    assertThat(first.getAccount().getContacts())
        .containsExactly(java.net.URI.create("mailto:a@example.com"));

    var again =
        new AcmeAccount(new AcmeServer(pebble.directory(), pebble.trust(), "b@example.com"), files)
            .login();

    // The same account (found by its key), with the new contact.
    assertThat(again.getAccountLocation()).isEqualTo(first.getAccountLocation());
    again.getAccount().update();
    assertThat(again.getAccount().getContacts())
        .containsExactly(java.net.URI.create("mailto:b@example.com"));
  }

  @Test
  void aChallengeTheCaCannotValidateIsReportedInTheCasWords(@TempDir Path state) throws Exception {
    // The CA looks for the answer at an address where berth does not listen.
    pebble.resolve("elsewhere.test", "127.0.0.2");
    RecordingSink sink = new RecordingSink();
    try (AcmeCertificates certificates = certificates(state, pebble, sink)) {
      certificates.manage(List.of("elsewhere.test"));

      HostStatus status =
          Await.value(
              "the failure reported",
              ORDER_TIMEOUT,
              () -> certificates.status().get(0),
              s -> s.lastError() != null && !s.ordering());
      assertThat(status.lastError())
          .startsWith("the CA could not validate the http-01 challenge: ")
          .contains("127.0.0.2");
      // Tried again later, with backoff: about a minute after the first failure.
      assertThat(status.nextRenewal()).isAfter(java.time.Instant.now().plusSeconds(30));
      assertThat(status.issuer()).isNull();

      // Forced, it fails the same way, and says so to the one who asked.
      assertThatThrownBy(() -> certificates.renew("elsewhere.test").get())
          .isInstanceOf(ExecutionException.class)
          .cause()
          .isInstanceOf(IssueException.class)
          .hasMessageContaining("could not validate the http-01 challenge");
      assertThat(sink.installed).isEmpty();
    }
  }

  @Test
  void aCaWhoseHttpsIsNotTrustedIsReportedWithWhereItsRootGoes(@TempDir Path state)
      throws Exception {
    try (AcmeCertificates certificates =
        new AcmeCertificates(
            state,
            new AcmeServer(pebble.directory(), null, null),
            http,
            null,
            new RecordingSink(),
            System.out::println)) {
      certificates.manage(List.of("untrusted.test"));

      HostStatus status =
          Await.value(
              "the failure reported",
              () -> certificates.status().get(0),
              s -> s.lastError() != null && !s.ordering());
      assertThat(status.lastError())
          .startsWith("cannot reach the CA at " + pebble.directory() + ": ")
          .endsWith("needs it in [tls] acme_trust)");
    }
  }

  @Test
  void aNameTheCaRefusesIsReportedInTheCasWords(@TempDir Path state) throws Exception {
    RecordingSink sink = new RecordingSink();
    try (AcmeCertificates certificates = certificates(state, pebble, sink)) {
      certificates.manage(List.of("blocked.test", "*.wild.test"));

      List<HostStatus> status =
          Await.value(
              "both failures reported",
              ORDER_TIMEOUT,
              certificates::status,
              all -> all.stream().allMatch(s -> s.lastError() != null && !s.ordering()));
      assertThat(status.get(0).host()).isEqualTo("*.wild.test");
      assertThat(status.get(0).lastError()).contains("DNS provider: not supported");
      assertThat(status.get(0).nextRenewal()).isNull();
      assertThat(status.get(1).lastError()).startsWith("the CA refused: ").contains("blocked");
      assertThatThrownBy(() -> certificates.renew("nowhere.test").get())
          .cause()
          .hasMessageContaining("no certificate of berth's is for nowhere.test");
    }
  }

  @Test
  void aShortLivedCertificateIsRenewedAtTwoThirdsOfItsLife(@TempDir Path state) throws Exception {
    try (Pebble shortLived =
        Pebble.start(state.resolve("pebble"), httpPort, 1, Duration.ofSeconds(15))) {
      RecordingSink sink = new RecordingSink();
      try (AcmeCertificates certificates = certificates(state, shortLived, sink)) {
        certificates.manage(List.of("short.test"));

        X509Certificate first = sink.next().chain().get(0);
        X509Certificate renewed = sink.next().chain().get(0);

        assertThat(renewed.getSerialNumber()).isNotEqualTo(first.getSerialNumber());
        assertThat(renewed.getNotBefore()).isAfterOrEqualTo(first.getNotBefore());
        verifies(List.of(renewed), null);
        CertificateFiles.Stored stored =
            new CertificateFiles(state, shortLived.directory()).load("short.test").orElseThrow();
        assertThat(stored.leaf().getSerialNumber())
            .isIn(renewed.getSerialNumber(), nextSerial(sink));
      }
    }
  }

  /** A certificate installed after the renewal, if the next one came already (else none). */
  private static java.math.BigInteger nextSerial(RecordingSink sink) {
    Installed more = sink.installed.peek();
    return more == null ? null : more.chain().get(0).getSerialNumber();
  }

  @Test
  void theEdgeAnswersAKnownTokenAndRoutesAnUnknownOne() throws Exception {
    http.put("tok-en_1", "tok-en_1.thumbprint");
    try {
      Curl.Response known =
          Curl.get("http://127.0.0.1:" + httpPort + "/.well-known/acme-challenge/tok-en_1");
      assertThat(known.status()).isEqualTo(200);
      assertThat(known.header("content-type")).isEqualTo("text/plain");
      assertThat(known.body()).isEqualTo("tok-en_1.thumbprint");
    } finally {
      http.remove("tok-en_1");
    }
    Curl.Response unknown =
        Curl.get("http://127.0.0.1:" + httpPort + "/.well-known/acme-challenge/tok-en_1");
    // No route in this edge: routing answers.
    assertThat(unknown.status()).isEqualTo(404);
  }

  /** {@code chain} verifies against {@code root} (PKIX, no revocation check); null: only parses. */
  private static void verifies(List<X509Certificate> chain, X509Certificate root) throws Exception {
    if (root == null) {
      assertThat(chain).isNotEmpty();
      return;
    }
    PKIXParameters parameters = new PKIXParameters(Set.of(new TrustAnchor(root, null)));
    parameters.setRevocationEnabled(false);
    CertPathValidator.getInstance("PKIX")
        .validate(CertificateFactory.getInstance("X.509").generateCertPath(chain), parameters);
  }

  private static String mode(Path path) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
  }
}
