package dev.berth.access;

import static java.util.Objects.requireNonNull;

import java.security.SecureRandom;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;

/**
 * bcrypt, as htpasswd -B writes it ($2y$) and as berth checks it (BouncyCastle's OpenBSDBCrypt).
 */
public final class Passwords {

  /**
   * What berth passwd writes: 0.1 to 0.2 s of a core per check (as OWASP advises at least 10;
   * htpasswd -B defaults to 5).
   */
  public static final int COST = 10;

  /** bcrypt reads no further: a longer password would pass with any tail. */
  public static final int MAX_PASSWORD_BYTES = 72;

  private static final SecureRandom RANDOM = new SecureRandom();

  private Passwords() {}

  /** A new $2y$ hash of {@code password} (at most {@link #MAX_PASSWORD_BYTES}), fresh salt. */
  public static String hash(byte[] password, int cost) {
    requireNonNull(password, "password");
    if (password.length == 0 || password.length > MAX_PASSWORD_BYTES) {
      throw new IllegalArgumentException("a password of 1 to " + MAX_PASSWORD_BYTES + " bytes");
    }
    byte[] salt = new byte[16];
    RANDOM.nextBytes(salt);
    return OpenBSDBCrypt.generate("2y", password, salt, cost);
  }

  /** Whether {@code password} is the one {@code hash} was made of (slow: bcrypt's cost). */
  static boolean matches(String hash, byte[] password) {
    if (password.length == 0) {
      return false;
    }
    try {
      return OpenBSDBCrypt.checkPassword(hash, password);
    } catch (IllegalArgumentException e) {
      // The config checked the form of every hash; nothing passes on one that is not.
      return false;
    }
  }
}
