package dev.berth.files;

import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Which content coding a client takes, from its Accept-Encoding (RFC 9110 12.5.3): for static files
 * (gzip) and for app responses compressed at the edge.
 */
public final class AcceptEncoding {

  private static final Pattern QVALUE = Pattern.compile("0(\\.[0-9]{0,3})?|1(\\.0{0,3})?");

  private AcceptEncoding() {}

  /**
   * The first of {@code offered} (lower-case coding names, in the server's order of preference)
   * that the client takes at its highest q: a coding's own q, else the q of "*" (for codings the
   * header does not name), where a q of 0 refuses. "x-gzip" counts as "gzip". Returns its index, or
   * -1 when none is taken. No header takes none: identity, as every server reads it. A malformed q
   * counts as 0: identity is never wrong.
   */
  public static int pick(String acceptEncoding, List<String> offered) {
    if (acceptEncoding == null || offered.isEmpty()) {
      return -1;
    }
    double[] q = new double[offered.size()];
    Arrays.fill(q, -1);
    double any = -1;
    int start = 0;
    int length = acceptEncoding.length();
    while (start <= length) {
      int comma = acceptEncoding.indexOf(',', start);
      int end = comma < 0 ? length : comma;
      String element = acceptEncoding.substring(start, end);
      start = end + 1;
      int semicolon = element.indexOf(';');
      String coding = (semicolon < 0 ? element : element.substring(0, semicolon)).trim();
      if (coding.isEmpty()) {
        continue;
      }
      double weight = semicolon < 0 ? 1 : weight(element.substring(semicolon + 1));
      if (coding.equals("*")) {
        any = Math.max(any, weight);
        continue;
      }
      if (coding.equalsIgnoreCase("x-gzip")) {
        coding = "gzip";
      }
      for (int i = 0; i < q.length; i++) {
        if (coding.equalsIgnoreCase(offered.get(i))) {
          q[i] = Math.max(q[i], weight);
        }
      }
    }
    int best = -1;
    double bestQ = 0;
    for (int i = 0; i < q.length; i++) {
      double weight = q[i] >= 0 ? q[i] : any;
      if (weight > bestQ) {
        best = i;
        bestQ = weight;
      }
    }
    return best;
  }

  /** The q of an element's parameters ("q=0.5", maybe among others), 1 when it has none. */
  private static double weight(String parameters) {
    double q = 1;
    for (String parameter : parameters.split(";")) {
      int equals = parameter.indexOf('=');
      String name = (equals < 0 ? parameter : parameter.substring(0, equals)).trim();
      if (name.equalsIgnoreCase("q")) {
        String value = equals < 0 ? "" : parameter.substring(equals + 1).trim();
        q = QVALUE.matcher(value).matches() ? Double.parseDouble(value) : 0;
      }
    }
    return q;
  }
}
