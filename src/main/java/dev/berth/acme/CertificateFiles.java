package dev.berth.acme;

import static java.util.Objects.requireNonNull;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What berth keeps of one ACME CA on disk, under {@code <state_dir>/certs/acme/<hash of the
 * directory URL>/}: the account key ({@code account.key}), and per host its certificate's key and
 * chain ({@code HOST/key.pem}, {@code HOST/chain.pem}, the leaf first). Keys are 0600 in 0700
 * directories and written whole (a temporary file moved over the old one), so a crash leaves the
 * old file or the new one. Another CA (staging, say) gets a directory of its own.
 */
final class CertificateFiles {

  private static final Set<PosixFilePermission> PRIVATE_DIR =
      PosixFilePermissions.fromString("rwx------");
  private static final Set<PosixFilePermission> PRIVATE_FILE =
      PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> PUBLIC_FILE =
      PosixFilePermissions.fromString("rw-r--r--");

  private final Path root;
  private final URI directory;

  /** A host's key and chain as found on disk. */
  record Stored(KeyPair key, List<X509Certificate> chain) {
    Stored {
      requireNonNull(key, "key");
      chain = List.copyOf(chain);
    }

    X509Certificate leaf() {
      return chain.get(0);
    }
  }

  CertificateFiles(Path stateDir, URI directory) {
    this.directory = requireNonNull(directory, "directory");
    this.root = stateDir.resolve("certs").resolve("acme").resolve(hash(directory));
  }

  /** This CA's directory under the state dir. */
  Path root() {
    return root;
  }

  private static String hash(URI directory) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256")
              .digest(directory.toString().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The account's key pair: read, or made (ECDSA P-256) and written on the first call ever for this
   * CA.
   */
  synchronized KeyPair accountKey() throws IOException {
    Path file = root.resolve("account.key");
    Optional<KeyPair> existing = readKeyPair(file);
    if (existing.isPresent()) {
      return existing.get();
    }
    KeyPair key = newKey();
    makeDirectory(root);
    // For people looking at the state dir: which CA this directory is for.
    write(root.resolve("directory"), directory + "\n", PUBLIC_FILE);
    write(file, pem(key), PRIVATE_FILE);
    return key;
  }

  /**
   * A new ECDSA P-256 key pair, for an account or a certificate: the JDK's, as the TLS engines
   * expect (acme4j's own helper asks for BouncyCastle's provider).
   */
  static KeyPair newKey() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no ECDSA P-256 in this JDK", e);
    }
  }

  /**
   * The key and chain stored for {@code host}; empty when there are none, or when they do not
   * belong together (a write cut short between the two files), so that a new order replaces them.
   *
   * @throws IOException when a file is there but unreadable or not PEM
   */
  Optional<Stored> load(String host) throws IOException {
    Path dir = root.resolve(host);
    Optional<KeyPair> key = readKeyPair(dir.resolve("key.pem"));
    if (key.isEmpty()) {
      return Optional.empty();
    }
    List<X509Certificate> chain;
    try {
      chain = readChain(Files.readAllBytes(dir.resolve("chain.pem")));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    if (chain.isEmpty() || !chain.get(0).getPublicKey().equals(key.get().getPublic())) {
      return Optional.empty();
    }
    return Optional.of(new Stored(key.get(), chain));
  }

  /** Keeps {@code key} and {@code chain} as {@code host}'s, replacing what was there. */
  void save(String host, KeyPair key, List<X509Certificate> chain) throws IOException {
    Path dir = root.resolve(host);
    makeDirectory(root);
    makeDirectory(dir);
    write(dir.resolve("key.pem"), pem(key), PRIVATE_FILE);
    write(dir.resolve("chain.pem"), pem(chain), PUBLIC_FILE);
  }

  /**
   * Reads a key file: the private key (PKCS #8) and its public key (X.509), as two PEM blocks, so
   * that the JDK reads it without deriving one from the other.
   */
  private static Optional<KeyPair> readKeyPair(Path file) throws IOException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.US_ASCII);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    try {
      KeyFactory factory = KeyFactory.getInstance("EC");
      PrivateKey privateKey =
          factory.generatePrivate(new PKCS8EncodedKeySpec(block(text, "PRIVATE KEY")));
      PublicKey publicKey =
          factory.generatePublic(new X509EncodedKeySpec(block(text, "PUBLIC KEY")));
      return Optional.of(new KeyPair(publicKey, privateKey));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      // Never the file's content in the message: it is a private key.
      throw new IOException(file + ": not an EC key pair in PEM", e);
    }
  }

  /** The bytes of the PEM block named {@code label} in {@code text}. */
  private static byte[] block(String text, String label) {
    String begin = "-----BEGIN " + label + "-----";
    String end = "-----END " + label + "-----";
    int from = text.indexOf(begin);
    int to = text.indexOf(end);
    if (from < 0 || to < from) {
      throw new IllegalArgumentException("no " + label + " block");
    }
    return Base64.getMimeDecoder().decode(text.substring(from + begin.length(), to));
  }

  private static String pem(String label, byte[] der) {
    return "-----BEGIN "
        + label
        + "-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END "
        + label
        + "-----\n";
  }

  private static String pem(KeyPair key) {
    return pem("PRIVATE KEY", key.getPrivate().getEncoded())
        + pem("PUBLIC KEY", key.getPublic().getEncoded());
  }

  static String pem(List<X509Certificate> chain) throws IOException {
    StringBuilder out = new StringBuilder();
    for (X509Certificate certificate : chain) {
      try {
        out.append(pem("CERTIFICATE", certificate.getEncoded()));
      } catch (CertificateEncodingException e) {
        throw new IOException(e);
      }
    }
    return out.toString();
  }

  static List<X509Certificate> readChain(byte[] pem) throws IOException {
    try {
      List<X509Certificate> chain = new ArrayList<>();
      for (var certificate :
          CertificateFactory.getInstance("X.509")
              .generateCertificates(new ByteArrayInputStream(pem))) {
        chain.add((X509Certificate) certificate);
      }
      return chain;
    } catch (CertificateException e) {
      throw new IOException("not a PEM certificate chain: " + e.getMessage(), e);
    }
  }

  private static void makeDirectory(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir);
      Files.setPosixFilePermissions(dir, PRIVATE_DIR);
    }
  }

  /** Writes {@code text} to a new file with {@code mode} and moves it over {@code file}. */
  private static void write(Path file, String text, Set<PosixFilePermission> mode)
      throws IOException {
    Path temporary = file.resolveSibling(file.getFileName() + ".new");
    Files.deleteIfExists(temporary);
    Files.createFile(temporary, PosixFilePermissions.asFileAttribute(mode));
    Files.writeString(temporary, text, StandardCharsets.US_ASCII);
    try {
      Files.move(
          temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
