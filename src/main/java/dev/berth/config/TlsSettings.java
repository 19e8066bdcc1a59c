package dev.berth.config;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.nio.file.Path;

/**
 * The {@code [tls]} table: what every TLS listener shares, and the ACME account's settings.
 *
 * @param email the ACME account's contact address, or null when none is given (Let's Encrypt needs
 *     none; the CA then cannot warn about expiring certificates)
 * @param acmeDirectory the ACME server's directory URL (Let's Encrypt production by default)
 * @param acmeTrust a PEM file of extra roots to trust for the ACME server's own HTTPS (a private
 *     CA, pebble in tests), or null for the JDK's
 * @param hsts the Strict-Transport-Security value of TLS responses, or "" for none; a route's
 *     {@code hsts} wins ({@link Route#hsts()} is already the value that applies)
 * @param unknownNames what a handshake for a name no certificate covers gets
 */
public record TlsSettings(
    String email, URI acmeDirectory, Path acmeTrust, String hsts, UnknownNames unknownNames) {

  /** Let's Encrypt's production directory: the default of {@code acme_directory}. */
  public static final URI LETS_ENCRYPT =
      URI.create("https://acme-v02.api.letsencrypt.org/directory");

  /** Let's Encrypt's staging directory: {@code acme_directory = "staging"}. */
  public static final URI LETS_ENCRYPT_STAGING =
      URI.create("https://acme-staging-v02.api.letsencrypt.org/directory");

  public TlsSettings {
    requireNonNull(acmeDirectory, "acmeDirectory");
    requireNonNull(hsts, "hsts");
    requireNonNull(unknownNames, "unknownNames");
  }

  /** No [tls] table. */
  public static TlsSettings standard() {
    return new TlsSettings(null, LETS_ENCRYPT, null, "", UnknownNames.DEFAULT);
  }

  /** What a TLS handshake for a name that no certificate covers gets. */
  public enum UnknownNames {
    /** The listener's default certificate (the client will likely refuse it; as nginx). */
    DEFAULT,
    /** The handshake is refused (an alert, no certificate shown). */
    REFUSE
  }
}
