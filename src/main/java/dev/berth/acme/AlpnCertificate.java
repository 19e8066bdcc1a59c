package dev.berth.acme;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.shredzone.acme4j.challenge.TlsAlpn01Challenge;

/**
 * The self-signed certificate a TLS-ALPN-01 challenge is answered with (RFC 8737, 3): the host as
 * its only name, and the challenge's digest in the critical acmeIdentifier extension. Made here
 * because acme4j 3.5's own signs with SHA256withRSA only, and berth's keys are ECDSA P-256.
 */
final class AlpnCertificate {

  private static final ASN1ObjectIdentifier ACME_IDENTIFIER =
      new ASN1ObjectIdentifier(TlsAlpn01Challenge.ACME_VALIDATION_OID);

  /** Long enough for any validation; the certificate is withdrawn once the CA has decided. */
  private static final Duration VALIDITY = Duration.ofDays(7);

  private AlpnCertificate() {}

  /**
   * The challenge certificate for {@code host}, with {@code validation} (32 bytes), signed by
   * {@code key}.
   */
  static X509Certificate create(KeyPair key, String host, byte[] validation) {
    if (validation.length != 32) {
      throw new IllegalArgumentException("acmeIdentifier: 32 bytes expected, " + validation.length);
    }
    try {
      X500Name subject = new X500Name("CN=" + host);
      Instant now = Instant.now();
      JcaX509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
              subject,
              new BigInteger(64, new SecureRandom()),
              Date.from(now.minus(Duration.ofMinutes(5))),
              Date.from(now.plus(VALIDITY)),
              subject,
              key.getPublic());
      builder.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(new GeneralName(GeneralName.dNSName, host)));
      builder.addExtension(ACME_IDENTIFIER, true, new DEROctetString(validation));
      byte[] der =
          builder
              .build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate()))
              .getEncoded();
      return (X509Certificate)
          CertificateFactory.getInstance("X.509")
              .generateCertificate(new ByteArrayInputStream(der));
    } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException("cannot make the TLS-ALPN-01 certificate: " + e, e);
    }
  }
}
