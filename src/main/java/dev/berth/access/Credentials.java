package dev.berth.access;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;

/**
 * A user and password from an {@code Authorization: Basic ...} field (RFC 7617): the password as
 * the client's bytes, which bcrypt hashes as they are (UTF-8 from every current browser).
 */
record Credentials(String user, byte[] password) {

  /** Longer fields are not a browser's: nothing is decoded past this. */
  private static final int MAX_FIELD = 4096;

  /** The credentials in {@code authorization}, or null when it holds none that parse. */
  static Credentials parse(String authorization) {
    if (authorization == null || authorization.length() > MAX_FIELD) {
      return null;
    }
    String field = authorization.strip();
    if (field.length() < 6 || !field.regionMatches(true, 0, "Basic ", 0, 6)) {
      return null;
    }
    byte[] decoded;
    try {
      decoded = Base64.getDecoder().decode(field.substring(6).strip());
    } catch (IllegalArgumentException e) {
      return null;
    }
    int colon = -1;
    for (int i = 0; i < decoded.length; i++) {
      if (decoded[i] == ':') {
        colon = i;
        break;
      }
    }
    if (colon <= 0) {
      return null;
    }
    return new Credentials(
        new String(decoded, 0, colon, StandardCharsets.UTF_8),
        Arrays.copyOfRange(decoded, colon + 1, decoded.length));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Credentials other
        && user.equals(other.user)
        && Arrays.equals(password, other.password);
  }

  @Override
  public int hashCode() {
    return 31 * user.hashCode() + Arrays.hashCode(password);
  }

  @Override
  public String toString() {
    return "Credentials[" + user + ", ***]";
  }
}
