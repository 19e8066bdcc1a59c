package dev.berth.tls;

import static java.util.Objects.requireNonNull;

import dev.berth.config.CertificateFiles;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;

/**
 * berth's own certificate authority, for {@code tls = "internal"} (as Caddy's internal issuer): a
 * root key and certificate kept in {@code <state_dir>/certs/internal/} across restarts (the key
 * 0600, never logged), and a leaf per host signed by it, made in memory at each start or reload.
 * Users trust the root ({@code curl --cacert root.pem}, or the system's trust store).
 */
final class InternalCa {

  /** Long enough not to be replaced in a machine's life as a dev box; users trust it once. */
  static final Duration ROOT_VALIDITY = Duration.ofDays(3650);

  /**
   * Under the 398 days browsers accept of a leaf; a leaf is made again at each start and reload, so
   * a berth that runs longer than this without either would serve an expired one.
   */
  static final Duration LEAF_VALIDITY = Duration.ofDays(397);

  static final String ROOT_CERTIFICATE = "root.pem";
  static final String ROOT_KEY = "root.key";

  private final Path dir;
  private final PrivateKey rootKey;
  private final X509Certificate root;

  private InternalCa(Path dir, PrivateKey rootKey, X509Certificate root) {
    this.dir = dir;
    this.rootKey = rootKey;
    this.root = root;
  }

  /**
   * The root kept in {@code dir}, or a new one written there.
   *
   * @throws IOException when it cannot be read or written (the message names the file)
   */
  static InternalCa in(Path dir) throws IOException {
    requireNonNull(dir, "dir");
    Path certificate = dir.resolve(ROOT_CERTIFICATE);
    Path key = dir.resolve(ROOT_KEY);
    if (Files.exists(certificate) || Files.exists(key)) {
      try {
        CertificateFiles.Pair pair = CertificateFiles.read(certificate, key, Instant.now());
        return new InternalCa(dir, pair.key(), pair.leaf());
      } catch (CertificateFiles.Problem p) {
        throw new IOException((p.ofKey() ? key : certificate) + ": " + p.getMessage());
      }
    }
    try {
      privateDirectory(dir.getParent());
      privateDirectory(dir);
      KeyPair pair = Certificates.newKeyPair();
      X509Certificate root =
          Certificates.root(pair, "berth internal root " + shortId(pair), ROOT_VALIDITY);
      write(key, pem(new JcaPKCS8Generator(pair.getPrivate(), null)), "rw-------");
      write(certificate, pem(root), "rw-r--r--");
      return new InternalCa(dir, pair.getPrivate(), root);
    } catch (java.nio.file.AccessDeniedException e) {
      throw new IOException("cannot make berth's internal CA in " + dir + ": permission denied", e);
    } catch (IOException e) {
      throw new IOException("cannot make berth's internal CA in " + dir + ": " + e, e);
    }
  }

  /** The root's PEM file, to tell users where it is. */
  Path rootFile() {
    return dir.resolve(ROOT_CERTIFICATE);
  }

  X509Certificate root() {
    return root;
  }

  /** A new key and a leaf for {@code names} signed by the root; the chain is the leaf alone. */
  CertificateFiles.Pair issue(List<String> names) {
    KeyPair pair = Certificates.newKeyPair();
    X509Certificate leaf = Certificates.leaf(pair.getPublic(), names, root, rootKey, LEAF_VALIDITY);
    return new CertificateFiles.Pair(pair.getPrivate(), List.of(leaf));
  }

  /** A few hex digits of the key, so that two berths' roots are told apart in a trust store. */
  private static String shortId(KeyPair pair) {
    byte[] encoded = pair.getPublic().getEncoded();
    return HexFormat.of().formatHex(encoded, encoded.length - 4, encoded.length);
  }

  private static void privateDirectory(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir);
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    }
  }

  private static String pem(Object item) throws IOException {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(item);
    }
    return out.toString();
  }

  /** Written whole under a temporary name with its mode set before any byte, then moved. */
  private static void write(Path file, String text, String mode) throws IOException {
    Path temporary =
        Files.createTempFile(
            file.getParent(),
            "." + file.getFileName(),
            ".tmp",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(mode)));
    try {
      Files.writeString(temporary, text, StandardCharsets.US_ASCII);
      Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(temporary);
    }
  }
}
