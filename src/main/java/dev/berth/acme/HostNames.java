package dev.berth.acme;

import java.util.regex.Pattern;

/** Which names berth can order a certificate for, and in what words it says why not. */
final class HostNames {

  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
  private static final Pattern IPV4 = Pattern.compile("[0-9.]+");

  private HostNames() {}

  /** Why no certificate can be ordered for {@code host}, or null when one can. */
  static String problem(String host) {
    if (host.startsWith("*.")) {
      return "a wildcard name needs the dns-01 challenge, and so a DNS provider: not supported";
    }
    if (host.indexOf(':') >= 0 || IPV4.matcher(host).matches()) {
      return "an IP address: berth orders certificates for DNS names only";
    }
    if (host.isEmpty() || host.length() > 253) {
      return "not a DNS name";
    }
    for (String label : host.split("\\.", -1)) {
      if (!LABEL.matcher(label).matches()) {
        return "not a DNS name";
      }
    }
    return null;
  }
}
