package dev.berth.tls;

import static java.util.Objects.requireNonNull;

import java.math.BigInteger;
import java.net.InetAddress;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
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
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Making keys and certificates (BouncyCastle): ECDSA P-256 keys, self-signed placeholders, berth's
 * internal root and the leaves it signs.
 */
final class Certificates {

  private static final SecureRandom RANDOM = new SecureRandom();

  private Certificates() {}

  /** A new ECDSA P-256 key pair: berth's default everywhere. */
  static KeyPair newKeyPair() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no ECDSA P-256 in this JDK", e);
    }
  }

  /**
   * A self-signed leaf for {@code names}: what a {@code tls = "acme"} host presents until its
   * certificate is issued, and the default of such a listener.
   */
  static X509Certificate selfSigned(KeyPair pair, List<String> names, Duration validity) {
    X500Name subject = new X500Name("CN=" + cn(names) + ",O=berth (self-signed placeholder)");
    return build(
        subject, pair.getPublic(), subject, pair.getPrivate(), names, validity, false, null);
  }

  /** A CA certificate, self-signed: berth's internal root. */
  static X509Certificate root(KeyPair pair, String commonName, Duration validity) {
    X500Name subject = new X500Name("CN=" + commonName + ",O=berth");
    return build(
        subject, pair.getPublic(), subject, pair.getPrivate(), List.of(), validity, true, null);
  }

  /** A leaf for {@code names} signed by {@code issuer}. */
  static X509Certificate leaf(
      PublicKey subjectKey,
      List<String> names,
      X509Certificate issuer,
      PrivateKey issuerKey,
      Duration validity) {
    X500Name subject = new X500Name("CN=" + cn(names) + ",O=berth internal");
    X500Name issuerName = X500Name.getInstance(issuer.getSubjectX500Principal().getEncoded());
    return build(subject, subjectKey, issuerName, issuerKey, names, validity, false, issuer);
  }

  private static String cn(List<String> names) {
    String first = names.isEmpty() ? "berth" : names.get(0);
    // Commas and such would change the name's structure.
    return first.replaceAll("[^A-Za-z0-9.*:_-]", "_");
  }

  private static X509Certificate build(
      X500Name subject,
      PublicKey subjectKey,
      X500Name issuer,
      PrivateKey signingKey,
      List<String> names,
      Duration validity,
      boolean ca,
      X509Certificate issuerCertificate) {
    requireNonNull(names, "names");
    Instant now = Instant.now();
    // An hour back: a client whose clock is a little behind still takes it.
    Date notBefore = Date.from(now.minus(Duration.ofHours(1)));
    Date notAfter = Date.from(now.plus(validity));
    BigInteger serial = new BigInteger(127, RANDOM).add(BigInteger.ONE);
    try {
      JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(issuer, serial, notBefore, notAfter, subject, subjectKey)
              .addExtension(
                  Extension.subjectKeyIdentifier,
                  false,
                  utils.createSubjectKeyIdentifier(subjectKey))
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
      if (ca) {
        builder.addExtension(
            Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      } else {
        builder
            .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
            .addExtension(
                Extension.extendedKeyUsage,
                false,
                new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
        if (!names.isEmpty()) {
          builder.addExtension(Extension.subjectAlternativeName, false, sans(names));
        }
      }
      if (issuerCertificate != null) {
        builder.addExtension(
            Extension.authorityKeyIdentifier,
            false,
            utils.createAuthorityKeyIdentifier(issuerCertificate));
      }
      return new JcaX509CertificateConverter()
          .getCertificate(
              builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signingKey)));
    } catch (GeneralSecurityException | OperatorCreationException | java.io.IOException e) {
      throw new IllegalStateException("cannot make a certificate for " + names, e);
    }
  }

  private static GeneralNames sans(List<String> names) {
    List<GeneralName> general = new ArrayList<>();
    for (String name : names) {
      general.add(
          HostNames.isIpLiteral(name)
              ? new GeneralName(GeneralName.iPAddress, ipBytes(name))
              : new GeneralName(GeneralName.dNSName, name));
    }
    return new GeneralNames(general.toArray(GeneralName[]::new));
  }

  private static org.bouncycastle.asn1.DEROctetString ipBytes(String literal) {
    try {
      return new org.bouncycastle.asn1.DEROctetString(
          InetAddress.getByName(literal.replace("[", "").replace("]", "")).getAddress());
    } catch (java.net.UnknownHostException e) {
      throw new IllegalArgumentException("not an IP address: " + literal, e);
    }
  }
}
