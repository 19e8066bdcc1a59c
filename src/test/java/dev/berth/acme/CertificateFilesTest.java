package dev.berth.acme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The account key and the hosts' keys and chains on disk: where, with which modes, read back. */
class CertificateFilesTest {

  private static final URI CA = URI.create("https://ca.example/directory");

  @TempDir Path state;

  @Test
  void theAccountKeyIsMadeOnceAndKeptPrivate() throws Exception {
    CertificateFiles files = new CertificateFiles(state, CA);

    KeyPair first = files.accountKey();
    KeyPair again = new CertificateFiles(state, CA).accountKey();

    assertThat(again.getPublic()).isEqualTo(first.getPublic());
    assertThat(again.getPrivate()).isEqualTo(first.getPrivate());
    assertThat(first.getPublic().getAlgorithm()).isEqualTo("EC");
    assertThat(files.root().getParent()).isEqualTo(state.resolve("certs/acme"));
    assertThat(mode(files.root())).isEqualTo("rwx------");
    assertThat(mode(files.root().resolve("account.key"))).isEqualTo("rw-------");
    assertThat(Files.readString(files.root().resolve("directory"))).isEqualTo(CA + "\n");
  }

  @Test
  void anotherCaHasADirectoryOfItsOwn() {
    assertThat(new CertificateFiles(state, URI.create("https://other.example/dir")).root())
        .isNotEqualTo(new CertificateFiles(state, CA).root());
  }

  @Test
  void aHostsKeyAndChainAreReadBackAsWritten() throws Exception {
    CertificateFiles files = new CertificateFiles(state, CA);
    KeyPair key = CertificateFiles.newKey();
    X509Certificate leaf = selfSigned(key, "site.example");

    files.save("site.example", key, List.of(leaf));
    CertificateFiles.Stored stored = files.load("site.example").orElseThrow();

    assertThat(stored.leaf()).isEqualTo(leaf);
    assertThat(stored.key().getPrivate()).isEqualTo(key.getPrivate());
    assertThat(mode(files.root().resolve("site.example/key.pem"))).isEqualTo("rw-------");
    assertThat(mode(files.root().resolve("site.example/chain.pem"))).isEqualTo("rw-r--r--");
    assertThat(files.root().resolve("site.example").toFile().list())
        .containsExactlyInAnyOrder("key.pem", "chain.pem");
  }

  @Test
  void nothingStoredOrAKeyThatIsNotTheCertificatesIsNothing() throws Exception {
    CertificateFiles files = new CertificateFiles(state, CA);
    assertThat(files.load("none.example")).isEmpty();

    KeyPair key = CertificateFiles.newKey();
    files.save("mixed.example", key, List.of(selfSigned(CertificateFiles.newKey(), "x")));
    assertThat(files.load("mixed.example")).isEmpty();
  }

  @Test
  void aKeyFileThatIsNotAKeyIsAnErrorThatDoesNotQuoteIt() throws Exception {
    CertificateFiles files = new CertificateFiles(state, CA);
    Path dir = Files.createDirectories(files.root().resolve("bad.example"));
    Files.writeString(dir.resolve("key.pem"), "secret material");

    assertThatThrownBy(() -> files.load("bad.example"))
        .hasMessageContaining("key.pem: not an EC key pair in PEM")
        .hasMessageNotContaining("secret");
  }

  static X509Certificate selfSigned(KeyPair key, String name) throws Exception {
    X500Name subject = new X500Name("CN=" + name);
    Instant now = Instant.now();
    byte[] der =
        new JcaX509v3CertificateBuilder(
                subject,
                BigInteger.TEN,
                Date.from(now.minusSeconds(60)),
                Date.from(now.plus(Duration.ofDays(1))),
                subject,
                key.getPublic())
            .build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate()))
            .getEncoded();
    return (X509Certificate)
        CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
  }

  private static String mode(Path path) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
  }
}
