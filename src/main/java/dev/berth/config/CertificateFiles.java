package dev.berth.config;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * Reading PEM certificate chains and private keys, with the checks {@code berth check} makes of
 * them: a file that is not PEM, a key that does not belong to the certificate, a certificate that
 * expired. The one reader of such files: the config checks with it, and the TLS listeners load with
 * it. Key material never appears in a message.
 */
public final class CertificateFiles {

  private CertificateFiles() {}

  /** A problem with one of the two files: which one, and what, in words. */
  public static final class Problem extends Exception {
    private final boolean ofKey;

    Problem(boolean ofKey, String message) {
      super(message);
      this.ofKey = ofKey;
    }

    /** Whether the key file is at fault (else the certificate file). */
    public boolean ofKey() {
      return ofKey;
    }
  }

  /**
   * A certificate chain with its private key.
   *
   * @param key the leaf's private key
   * @param chain the leaf first
   */
  public record Pair(PrivateKey key, List<X509Certificate> chain) {
    public Pair {
      requireNonNull(key, "key");
      chain = List.copyOf(chain);
    }

    public X509Certificate leaf() {
      return chain.get(0);
    }

    @Override
    public String toString() {
      return "Pair[" + leaf().getSubjectX500Principal() + "]";
    }
  }

  /**
   * Reads and checks a pair of files, as of {@code now}.
   *
   * @throws Problem naming what is wrong with which file
   */
  public static Pair read(Path certificate, Path key, Instant now) throws Problem {
    requireNonNull(certificate, "certificate");
    requireNonNull(key, "key");
    List<X509Certificate> chain = certificates(certificate, false);
    X509Certificate leaf = chain.get(0);
    if (now.isAfter(leaf.getNotAfter().toInstant())) {
      throw new Problem(false, "expired on " + leaf.getNotAfter().toInstant());
    }
    if (now.isBefore(leaf.getNotBefore().toInstant())) {
      throw new Problem(false, "not valid before " + leaf.getNotBefore().toInstant());
    }
    PrivateKey privateKey = privateKey(key);
    if (!belong(privateKey, leaf.getPublicKey())) {
      throw new Problem(true, "not the private key of the certificate in " + certificate);
    }
    return new Pair(privateKey, chain);
  }

  /**
   * Every certificate in a PEM file, in order (a chain, or roots to trust).
   *
   * @param ofKey what {@link Problem#ofKey()} says of a problem with it
   */
  public static List<X509Certificate> certificates(Path file, boolean ofKey) throws Problem {
    List<X509Certificate> certificates = new ArrayList<>();
    JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
        PEMParser parser = new PEMParser(reader)) {
      Object item;
      while ((item = parser.readObject()) != null) {
        if (item instanceof X509CertificateHolder holder) {
          certificates.add(converter.getCertificate(holder));
        }
      }
    } catch (IOException e) {
      throw new Problem(ofKey, unreadable(e));
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new Problem(ofKey, "not a PEM certificate (" + e.getClass().getSimpleName() + ")");
    }
    if (certificates.isEmpty()) {
      throw new Problem(ofKey, "no PEM certificate in it (no -----BEGIN CERTIFICATE----- block)");
    }
    return certificates;
  }

  private static PrivateKey privateKey(Path file) throws Problem {
    JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
        PEMParser parser = new PEMParser(reader)) {
      Object item;
      while ((item = parser.readObject()) != null) {
        switch (item) {
          case PEMKeyPair pair -> {
            return converter.getPrivateKey(pair.getPrivateKeyInfo());
          }
          case PrivateKeyInfo info -> {
            return converter.getPrivateKey(info);
          }
          case PEMEncryptedKeyPair encrypted ->
              throw new Problem(true, "an encrypted key (expected: a key without a passphrase)");
          case PKCS8EncryptedPrivateKeyInfo encrypted ->
              throw new Problem(true, "an encrypted key (expected: a key without a passphrase)");
          default -> {
            // Parameters (BEGIN EC PARAMETERS) and the like come before the key: skip them.
          }
        }
      }
    } catch (IOException e) {
      throw new Problem(true, unreadable(e));
    } catch (RuntimeException e) {
      throw new Problem(true, "not a PEM private key (" + e.getClass().getSimpleName() + ")");
    }
    throw new Problem(true, "no PEM private key in it (no -----BEGIN PRIVATE KEY----- block)");
  }

  /** Whether a signature made with {@code key} checks out with {@code publicKey}. */
  private static boolean belong(PrivateKey key, PublicKey publicKey) {
    String algorithm =
        switch (key.getAlgorithm()) {
          case "EC", "ECDSA" -> "SHA256withECDSA";
          case "RSA" -> "SHA256withRSA";
          case "Ed25519", "EdDSA" -> "Ed25519";
          default -> null;
        };
    if (algorithm == null) {
      return false;
    }
    try {
      byte[] probe = new byte[32];
      new SecureRandom().nextBytes(probe);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(publicKey);
      verifier.update(probe);
      return verifier.verify(signature);
    } catch (GeneralSecurityException | RuntimeException e) {
      // A key of another algorithm than the certificate's is refused here.
      return false;
    }
  }

  private static String unreadable(IOException e) {
    return "cannot read: " + ConfigLoader.reason(e);
  }
}
