package dev.berth.tls;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/** Host names as certificates name them, and how a name a client asks for matches them. */
final class HostNames {

  private static final Pattern IPV4 = Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}");

  private HostNames() {}

  /** A host as compared: lower case, without a trailing dot. */
  static String normalize(String host) {
    String lower = host.toLowerCase(Locale.ROOT);
    return lower.endsWith(".") ? lower.substring(0, lower.length() - 1) : lower;
  }

  static boolean isIpLiteral(String name) {
    return IPV4.matcher(name).matches() || name.contains(":");
  }

  /**
   * The names a certificate is for: its DNS and IP subject alternative names; its subject's CN when
   * it has none (old self-made certificates).
   */
  static List<String> of(X509Certificate certificate) {
    List<String> names = new ArrayList<>();
    try {
      Collection<List<?>> sans = certificate.getSubjectAlternativeNames();
      if (sans != null) {
        for (List<?> san : sans) {
          int type = (Integer) san.get(0);
          if (type == 2 || type == 7) {
            names.add(normalize(String.valueOf(san.get(1))));
          }
        }
      }
    } catch (CertificateParsingException e) {
      // Treated as no names: the certificate can still be a listener's default.
    }
    if (names.isEmpty()) {
      try {
        for (Rdn rdn : new LdapName(certificate.getSubjectX500Principal().getName()).getRdns()) {
          if (rdn.getType().equalsIgnoreCase("CN")) {
            names.add(normalize(String.valueOf(rdn.getValue())));
          }
        }
      } catch (InvalidNameException e) {
        // No CN either.
      }
    }
    return names;
  }

  /**
   * The parent a wildcard name covers ("*.example.com" -> "example.com"), or null when {@code name}
   * is not a wildcard.
   */
  static String wildcardParent(String name) {
    return name.startsWith("*.") ? name.substring(2) : null;
  }

  /**
   * The parent whose wildcard would cover {@code host}: one label off ("a.example.com" ->
   * "example.com"), as RFC 6125 lets a wildcard match a single label; null for a single label.
   */
  static String parentOf(String host) {
    int dot = host.indexOf('.');
    return dot < 0 || dot == host.length() - 1 ? null : host.substring(dot + 1);
  }
}
