package dev.berth.testing;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A test certificate authority (BouncyCastle): a root, and leaves for given names signed by it,
 * written as PEM files as a user would get them from a CA.
 */
public final class TestPki {

  private static final SecureRandom RANDOM = new SecureRandom();

  private final KeyPair rootKeys = keyPair();
  private final X509Certificate root;

  public TestPki() {
    root =
        sign(
            rootKeys,
            "CN=berth test root",
            rootKeys,
            null,
            List.of(),
            Instant.now().plus(Duration.ofDays(3650)),
            true);
  }

  /** A leaf and its key, leaf first. */
  public record Leaf(PrivateKey key, X509Certificate certificate) {}

  public X509Certificate root() {
    return root;
  }

  /** A leaf for {@code names}, valid from an hour ago for a year. */
  public Leaf leaf(String... names) {
    return leaf(Instant.now().plus(Duration.ofDays(365)), names);
  }

  /** A leaf for {@code names} that is valid until {@code notAfter} (in the past: expired). */
  public Leaf leaf(Instant notAfter, String... names) {
    KeyPair keys = keyPair();
    return new Leaf(
        keys.getPrivate(),
        sign(keys, "CN=" + names[0], rootKeys, root, List.of(names), notAfter, false));
  }

  /** Writes the root's PEM to {@code file}. */
  public Path writeRoot(Path file) throws IOException {
    return Files.writeString(file, pem(root));
  }

  /** Writes {@code leaf} as DIR/NAME.pem and DIR/NAME.key; returns the certificate's path. */
  public static Path write(Leaf leaf, Path dir, String name) throws IOException {
    Files.writeString(dir.resolve(name + ".key"), pem(new JcaPKCS8Generator(leaf.key(), null)));
    return Files.writeString(dir.resolve(name + ".pem"), pem(leaf.certificate()));
  }

  public static String pem(Object item) throws IOException {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(item);
    }
    return out.toString();
  }

  private static KeyPair keyPair() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return generator.generateKeyPair();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static X509Certificate sign(
      KeyPair subject,
      String subjectName,
      KeyPair issuer,
      X509Certificate issuerCertificate,
      List<String> names,
      Instant notAfter,
      boolean ca) {
    try {
      X500Name issuerName =
          issuerCertificate == null
              ? new X500Name(subjectName)
              : X500Name.getInstance(issuerCertificate.getSubjectX500Principal().getEncoded());
      Instant notBefore = Instant.now().minus(Duration.ofDays(400));
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
                  issuerName,
                  new BigInteger(64, RANDOM).add(BigInteger.ONE),
                  Date.from(notBefore),
                  Date.from(notAfter),
                  new X500Name(subjectName),
                  subject.getPublic())
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
      if (ca) {
        builder.addExtension(
            Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      } else {
        List<GeneralName> sans = new ArrayList<>();
        names.forEach(n -> sans.add(new GeneralName(GeneralName.dNSName, n)));
        builder.addExtension(
            Extension.subjectAlternativeName,
            false,
            new GeneralNames(sans.toArray(GeneralName[]::new)));
      }
      return new JcaX509CertificateConverter()
          .getCertificate(
              builder.build(
                  new JcaContentSignerBuilder("SHA256withECDSA").build(issuer.getPrivate())));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
