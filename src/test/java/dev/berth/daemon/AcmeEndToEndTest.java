package dev.berth.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.testing.BerthProcess;
import dev.berth.testing.Cli;
import dev.berth.testing.Curl;
import dev.berth.testing.Pebble;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tls = "acme"} with a real berth and a real CA (pebble): certificates ordered at {@code up}
 * by HTTP-01 on berth's plain listener, served, and verified by curl against pebble's root; {@code
 * berth certs}, {@code berth status}, {@code berth certs renew}; a host the CA cannot validate
 * reported in the CA's words while the others serve; a reload adding a host gets it a certificate.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AcmeEndToEndTest {

  private static final Duration ISSUED = Duration.ofSeconds(60);

  private Path tmp;
  private Path config;
  private Pebble pebble;
  private BerthProcess berth;
  private int plain;
  private int secure;
  private Path root;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    Assumptions.assumeTrue(
        Pebble.installed(), "pebble is not installed (scripts/install-deps.sh --tests)");
    tmp = dir;
    Path www = Files.createDirectories(tmp.resolve("www"));
    Files.writeString(www.resolve("hello.txt"), "hello over acme\n");
    plain = BerthProcess.freePort();
    secure = BerthProcess.freePort();
    pebble = Pebble.start(tmp.resolve("pebble"), plain, secure, Duration.ofDays(90));
    // The CA looks for this host's answer where berth does not listen.
    pebble.resolve("elsewhere.test", "127.0.0.2");
    root = pebble.issuingRoot();
    config = writeConfig("");
    berth = BerthProcess.up(config);
    berth.awaitLine("acme: site.test: certificate issued by Pebble", ISSUED);
  }

  private Path writeConfig(String moreRoutes) throws Exception {
    return BerthProcess.write(
        tmp.resolve("berth.toml"),
        """
        state_dir = "%1$s/state"
        shutdown_timeout = "2s"

        [[listeners]]
        address = "127.0.0.1:%2$d"

        [[listeners]]
        address = "127.0.0.1:%3$d"
        tls = "acme"

        [tls]
        email = "ops@example.com"
        acme_directory = "%4$s"
        acme_trust = "%5$s"

        [[routes]]
        host = "site.test"
        static = "%1$s/www"

        [[routes]]
        host = "elsewhere.test"
        static = "%1$s/www"

        [[routes]]
        host = "private.test"
        static = "%1$s/www"
        deny = ["127.0.0.0/8"]
        %6$s
        """
            .formatted(tmp, plain, secure, pebble.directory(), pebble.trust(), moreRoutes));
  }

  @AfterAll
  void stop() {
    if (berth != null) {
      berth.close();
    }
    if (pebble != null) {
      pebble.close();
    }
  }

  private Curl.Response https(String host, String path) throws Exception {
    return Curl.get(
        "https://" + host + ":" + secure + path,
        "--cacert",
        root.toString(),
        "--resolve",
        host + ":" + secure + ":127.0.0.1");
  }

  @Test
  void theIssuedCertificateServesAndCurlVerifiesItsChainAgainstTheCasRoot() throws Exception {
    Curl.Response response = https("site.test", "/hello.txt");

    assertThat(response.status()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("hello over acme\n");
    assertThat(berth.output()).doesNotContain("PRIVATE KEY");
    // acme4j's logging (SLF4J, no provider) stays quiet; berth says what happened itself.
    assertThat(berth.output()).doesNotContain("SLF4J").contains("berth: acme: certificates from");
  }

  @Test
  void aRoutesAccessRulesDoNotKeepTheCaFromItsChallenge() throws Exception {
    // The CA asks from 127.0.0.1, which the route denies: the challenge is answered before routes.
    berth.awaitLine("acme: private.test: certificate issued by Pebble", ISSUED);

    assertThat(https("private.test", "/hello.txt").status()).isEqualTo(403);
  }

  @Test
  void berthCertsAndStatusShowEachHostAndTheCasReasonForTheOneThatFailed() throws Exception {
    berth.awaitLine("acme: no certificate for elsewhere.test: the CA could not", ISSUED);

    Cli certs = Cli.run(config, "certs");
    assertThat(certs.exit()).as(certs.err()).isZero();
    assertThat(certs.out())
        .contains("HOST", "ISSUER", "EXPIRES", "RENEWAL")
        .containsPattern("site\\.test +Pebble Intermediate CA")
        .contains("elsewhere.test: the CA could not validate the http-01 challenge")
        .contains("127.0.0.2");

    JsonNode json = new ObjectMapper().readTree(Cli.run(config, "certs", "--json").out());
    JsonNode site = json.path("certificates").get(2);
    assertThat(site.path("host").asText()).isEqualTo("site.test");
    assertThat(site.path("last_error").isNull()).isTrue();
    assertThat(site.path("not_after").asText()).startsWith("20");

    assertThat(Cli.status(config).path("certificates")).hasSize(3);
    Cli status = Cli.run(config, "status");
    assertThat(status.out()).containsPattern("site\\.test +Pebble Intermediate CA");

    // The host that fails is served meanwhile (the placeholder: curl cannot verify it).
    assertThat(
            Curl.get(
                    "https://elsewhere.test:" + secure + "/hello.txt",
                    "-k",
                    "--resolve",
                    "elsewhere.test:" + secure + ":127.0.0.1")
                .status())
        .isEqualTo(200);
  }

  @Test
  void certsRenewOrdersANewCertificateAndItServesAtOnce() throws Exception {
    Cli renew = Cli.run(config, "certs", "renew", "site.test");

    assertThat(renew.exit()).as(renew.err()).isZero();
    assertThat(renew.out())
        .contains("ordering a certificate for site.test")
        .contains("site.test: new certificate from Pebble Intermediate CA");
    assertThat(https("site.test", "/hello.txt").status()).isEqualTo(200);

    Cli unknown = Cli.run(config, "certs", "renew", "nowhere.test");
    assertThat(unknown.exit()).isEqualTo(1);
    assertThat(unknown.err()).contains("no certificate of berth's is for nowhere.test");
  }

  @Test
  void aReloadAddingAHostGetsItACertificate() throws Exception {
    writeConfig(
        """

        [[routes]]
        host = "added.test"
        static = "%s/www"
        """
            .formatted(tmp));
    Cli reload = Cli.run(config, "reload");
    assertThat(reload.exit()).as(reload.err()).isZero();

    berth.awaitLine("acme: added.test: certificate issued by Pebble", ISSUED);
    assertThat(https("added.test", "/hello.txt").status()).isEqualTo(200);
  }
}
