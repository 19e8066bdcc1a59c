package dev.berth.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.berth.testing.TestPki;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The TLS keys: a listener's tls, [tls], a route's hsts; certificate files checked at load. */
class TlsConfigTest {

  private static final TestPki PKI = new TestPki();

  @TempDir Path dir;
  private Path file;

  @BeforeEach
  void setUp() throws IOException {
    file = dir.resolve("berth.toml");
    Files.createDirectories(dir.resolve("public"));
    TestPki.write(PKI.leaf("a.test"), dir, "a");
    TestPki.write(PKI.leaf("b.test"), dir, "b");
  }

  private Config parse(String toml) throws ConfigException {
    return ConfigLoader.parse(file, toml);
  }

  private List<String> problems(String toml) {
    return catchThrowableOfType(ConfigException.class, () -> parse(toml)).problems();
  }

  @Test
  void readsTheThreeFormsAndTheTlsTable() throws Exception {
    Config config =
        parse(
            """
            [[listeners]]
            address = ":80"

            [[listeners]]
            address = ":443"
            tls = "acme"

            [[listeners]]
            address = ":8443"
            tls = "internal"

            [[listeners]]
            address = ":9443"
            tls = { certificate = "a.pem", key = "a.key" }

            [[listeners]]
            address = ":10443"
            tls = [{ certificate = "a.pem", key = "a.key" }, { certificate = "b.pem", key = "b.key" }]

            [tls]
            email = "ops@example.com"
            acme_directory = "staging"
            hsts = "max-age=31536000; includeSubDomains"
            unknown_names = "refuse"

            [[routes]]
            host = "a.test"
            static = "public"

            [[routes]]
            host = "b.test"
            static = "public"
            hsts = false
            """);
    List<ListenerTls> tls = config.listeners().stream().map(Listener::tls).toList();
    assertThat(tls.get(0)).isEqualTo(ListenerTls.PLAIN);
    assertThat(tls.get(1)).isEqualTo(ListenerTls.ACME);
    assertThat(tls.get(2)).isEqualTo(ListenerTls.INTERNAL);
    assertThat(tls.get(3))
        .isEqualTo(
            new ListenerTls.Files(
                List.of(
                    new ListenerTls.CertificateFile(dir.resolve("a.pem"), dir.resolve("a.key")))));
    assertThat(((ListenerTls.Files) tls.get(4)).pairs()).hasSize(2);
    assertThat(config.listeners().get(1).url()).isEqualTo("https://localhost:443");
    assertThat(config.tls().email()).isEqualTo("ops@example.com");
    assertThat(config.tls().acmeDirectory()).isEqualTo(TlsSettings.LETS_ENCRYPT_STAGING);
    assertThat(config.tls().unknownNames()).isEqualTo(TlsSettings.UnknownNames.REFUSE);
    assertThat(config.routes().get(0).hsts()).isEqualTo("max-age=31536000; includeSubDomains");
    assertThat(config.routes().get(1).hsts()).isEmpty();
  }

  @Test
  void http2CleartextIsAPlainListenersChoice() throws Exception {
    Config config =
        parse(
            """
            [[listeners]]
            address = ":80"

            [[listeners]]
            address = ":8080"
            http2_cleartext = true
            """);
    assertThat(config.listeners().get(0).http2Cleartext()).isFalse();
    assertThat(config.listeners().get(1).http2Cleartext()).isTrue();
    assertThat(
            problems(
                """
                [[listeners]]
                address = ":443"
                tls = "internal"
                http2_cleartext = true

                [[listeners]]
                address = ":8080"
                http2_cleartext = "yes"
                """))
        .containsExactly(
            "berth.toml:4: listeners[0].http2_cleartext: true (expected: false on a TLS listener,"
                + " which offers HTTP/2 by ALPN)",
            "berth.toml:8: listeners[1].http2_cleartext: \"yes\" (expected: true or false)");
  }

  @Test
  void defaultsWithoutATlsTable() throws Exception {
    Config config = parse("[[listeners]]\naddress = \":80\"\n");
    assertThat(config.tls()).isEqualTo(TlsSettings.standard());
    assertThat(config.tls().acmeDirectory()).isEqualTo(TlsSettings.LETS_ENCRYPT);
    assertThat(config.listeners().get(0).secure()).isFalse();
  }

  @Test
  void badValuesSayWhatWasExpected() {
    assertThat(
            problems(
                """
                [[listeners]]
                address = ":443"
                tls = "letsencrypt"

                [tls]
                email = "not an address"
                acme_directory = "http://insecure.example/dir"
                hsts = "forever"
                unknown_names = "drop"
                acme_trust = "missing.pem"

                [[routes]]
                static = "public"
                hsts = 3
                """))
        .containsExactly(
            "berth.toml:3: listeners[0].tls: \"letsencrypt\" (expected: \"acme\", \"internal\","
                + " { certificate = \"cert.pem\", key = \"key.pem\" } or an array of such tables)",
            "berth.toml:6: tls.email: \"not an address\" (expected: an email address like"
                + " \"ops@example.com\")",
            "berth.toml:7: tls.acme_directory: \"http://insecure.example/dir\" (expected: an"
                + " https:// ACME directory URL, or \"staging\" for Let's Encrypt's staging"
                + " directory)",
            "berth.toml:8: tls.hsts: \"forever\" (expected: " + TlsKeys.HSTS_EXPECTED + ")",
            "berth.toml:9: tls.unknown_names: \"drop\" (expected: \"default\" or \"refuse\")",
            "berth.toml:10: tls.acme_trust: \"missing.pem\": cannot read: no such file (expected: a"
                + " PEM file of CA certificates)",
            "berth.toml:14: routes[0].hsts: 3 (expected: " + TlsKeys.HSTS_EXPECTED + ")");
  }

  @Test
  void certificateFileProblemsNameTheFileAndLine() throws Exception {
    TestPki.write(PKI.leaf(Instant.now().minus(Duration.ofDays(1)), "old.test"), dir, "old");
    Files.writeString(dir.resolve("garbage.pem"), "this is not PEM\n");
    assertThat(
            problems(
                """
                [[listeners]]
                address = ":443"
                tls = [
                  { certificate = "a.pem", key = "b.key" },
                  { certificate = "old.pem", key = "old.key" },
                  { certificate = "garbage.pem", key = "a.key" },
                  { certificate = "nowhere.pem", key = "a.key" },
                  { certificate = "a.pem" },
                ]
                """))
        .satisfiesExactly(
            p ->
                assertThat(p)
                    .startsWith(
                        "berth.toml:4: listeners[0].tls[0].key: \"b.key\": not the private key")
                    .endsWith("(expected: the certificate's private key, PEM)"),
            p ->
                assertThat(p)
                    .startsWith(
                        "berth.toml:5: listeners[0].tls[1].certificate: \"old.pem\": expired on ")
                    .endsWith("(expected: a PEM certificate chain, valid now)"),
            p ->
                assertThat(p)
                    .startsWith(
                        "berth.toml:6: listeners[0].tls[2].certificate: \"garbage.pem\": no PEM"
                            + " certificate in it"),
            p ->
                assertThat(p)
                    .isEqualTo(
                        "berth.toml:7: listeners[0].tls[3].certificate: \"nowhere.pem\": cannot"
                            + " read: no such file (expected: a PEM certificate chain, valid now)"),
            p ->
                assertThat(p)
                    .startsWith("berth.toml:8: listeners[0].tls[4].key: missing (expected:"));
  }

  @Test
  void berthCheckSaysSoWithTheLine() throws Exception {
    TestPki.write(PKI.leaf(Instant.now().minus(Duration.ofDays(1)), "old.test"), dir, "old");
    Files.writeString(
        file,
        """
        [[listeners]]
        address = ":8443"
        tls = { certificate = "old.pem", key = "old.key" }
        """);
    dev.berth.testing.Cli check = dev.berth.testing.Cli.run(file, "check");
    assertThat(check.exit()).isEqualTo(2);
    assertThat(check.out() + check.err())
        .contains("berth.toml:3: listeners[0].tls.certificate: \"old.pem\": expired on ");
  }
}
