package dev.berth.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The keys about TLS: {@code [tls]}, a listener's {@code tls}, the tables of its certificate files,
 * and the type of {@code hsts} (in [tls] and on a route).
 */
final class TlsKeys {

  private static final Pattern EMAIL =
      Pattern.compile("[^@\\s<>\",;]+@[^@\\s<>\",;]+\\.[^@\\s<>\",;.]+");

  private static final Pattern HSTS =
      Pattern.compile(
          "max-age=[0-9]{1,10}(\\s*;\\s*(includeSubDomains|preload))*", Pattern.CASE_INSENSITIVE);

  static final String HSTS_EXPECTED =
      "a Strict-Transport-Security value like \"max-age=31536000\" (with \"; includeSubDomains\","
          + " \"; preload\"), or false";

  /** An HSTS value, or "" for false (none). */
  static final ValueType<String> HSTS_TYPE =
      ValueType.of(
          "string or false",
          HSTS_EXPECTED,
          v -> {
            if (v.isBoolean() && !v.booleanValue()) {
              return "";
            }
            String value = Types.string(v, HSTS_EXPECTED).strip();
            if (!HSTS.matcher(value).matches()) {
              throw new Rejected(HSTS_EXPECTED);
            }
            return value;
          });

  static final Key<String> EMAIL_KEY =
      Key.of(
          "email",
          ValueType.of(
              "string",
              "an email address like \"ops@example.com\"",
              v -> {
                String value = Types.string(v, "an email address like \"ops@example.com\"");
                if (!EMAIL.matcher(value).matches()) {
                  throw new Rejected("an email address like \"ops@example.com\"");
                }
                return value;
              }),
          null,
          "(none)",
          "\"ops@example.com\"",
          """
          The ACME account's contact: the CA writes here about expiring certificates and changes
          of its terms. Let's Encrypt accepts an account without one.
          """);

  private static final String DIRECTORY_EXPECTED =
      "an https:// ACME directory URL, or \"staging\" for Let's Encrypt's staging directory";

  static final Key<URI> ACME_DIRECTORY =
      Key.of(
          "acme_directory",
          ValueType.of(
              "string",
              DIRECTORY_EXPECTED,
              v -> {
                String value = Types.string(v, DIRECTORY_EXPECTED);
                if (value.equals("staging")) {
                  return TlsSettings.LETS_ENCRYPT_STAGING;
                }
                if (value.equals("production")) {
                  return TlsSettings.LETS_ENCRYPT;
                }
                try {
                  URI uri = new URI(value);
                  if (!"https".equals(uri.getScheme()) || uri.getHost() == null) {
                    throw new Rejected(DIRECTORY_EXPECTED);
                  }
                  return uri;
                } catch (URISyntaxException e) {
                  throw new Rejected(DIRECTORY_EXPECTED);
                }
              }),
          TlsSettings.LETS_ENCRYPT,
          "(Let's Encrypt production)",
          "\"staging\"",
          """
          The ACME server that issues the certificates of tls = "acme" listeners: "staging" names
          Let's Encrypt's staging directory (untrusted certificates, generous rate limits), any
          other value is the directory's https:// URL.
          """);

  static final Key<Path> ACME_TRUST =
      Key.of(
          "acme_trust",
          Types.FILE_PATH,
          null,
          "(the JDK's roots)",
          "\"ca.pem\"",
          """
          A PEM file of extra roots to trust for the ACME server's own HTTPS: a private CA, or a
          test CA such as pebble's.
          """);

  static final Key<String> HSTS_KEY =
      Key.of(
          "hsts",
          HSTS_TYPE,
          "",
          "(off)",
          "\"max-age=31536000\"",
          """
          A Strict-Transport-Security header on every response over TLS, telling browsers to use
          https only for the host from then on. A route's own hsts wins. Off by default: once sent,
          browsers keep it for max-age.
          """);

  static final Key<TlsSettings.UnknownNames> UNKNOWN_NAMES =
      Key.of(
          "unknown_names",
          Types.choice(TlsSettings.UnknownNames.class),
          TlsSettings.UnknownNames.DEFAULT,
          "\"default\"",
          "\"refuse\"",
          """
          What a TLS handshake for a name that no certificate covers gets: "default" the
          listener's default certificate (its first file, berth's internal one for localhost, or a
          self-signed one), "refuse" a handshake failure.
          """);

  static final List<Key<?>> ALL =
      List.of(EMAIL_KEY, ACME_DIRECTORY, ACME_TRUST, HSTS_KEY, UNKNOWN_NAMES);

  // ---- a listener's tls ----

  private static final String TLS_EXPECTED =
      "\"acme\", \"internal\", { certificate = \"cert.pem\", key = \"key.pem\" } or an array of"
          + " such tables";

  /** The value as written: a string is checked here, tables by the loader. */
  static final Key<JsonNode> LISTENER_TLS =
      Key.of(
          "tls",
          ValueType.of(
              "string, table or array of tables",
              TLS_EXPECTED,
              v -> {
                if (v.isTextual()) {
                  String value = v.textValue().toLowerCase(Locale.ROOT);
                  if (!value.equals("acme") && !value.equals("internal")) {
                    throw new Rejected(TLS_EXPECTED);
                  }
                  return v;
                }
                if (v.isObject() || (v.isArray() && !v.isEmpty())) {
                  return v;
                }
                throw new Rejected(TLS_EXPECTED);
              }),
          null,
          "(plain HTTP)",
          "\"acme\"",
          """
          Makes the listener an HTTPS one. "acme": a certificate for every host the routes name,
          from the ACME CA of [tls] (a self-signed one meanwhile). "internal": certificates from
          berth's own CA, whose root is kept in <state_dir>/certs/internal/root.pem (for
          development and intranets; trust it with curl --cacert). A table { certificate = ...,
          key = ... }, or an array of them: certificates from PEM files, chosen by the name the
          client asks for (SNI), the first one by default.
          """);

  static final Key<Path> CERTIFICATE =
      Key.of(
          "certificate",
          Types.FILE_PATH,
          null,
          "(required)",
          "\"/etc/ssl/site.pem\"",
          """
          A PEM file with the certificate first and its intermediates after it (fullchain.pem),
          valid now.
          """);

  static final Key<Path> KEY =
      Key.of(
          "key",
          Types.FILE_PATH,
          null,
          "(required)",
          "\"/etc/ssl/site.key\"",
          "The certificate's private key, a PEM file without a passphrase.");

  static final List<Key<?>> CERTIFICATE_KEYS = List.of(CERTIFICATE, KEY);

  private TlsKeys() {}
}
