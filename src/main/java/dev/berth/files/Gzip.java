package dev.berth.files;

import java.util.Locale;
import java.util.regex.Pattern;

/** When a static file may go out gzip-compressed: what the client accepts and what is worth it. */
public final class Gzip {

  /** Smaller files gain too little to be worth a second representation. */
  public static final long MIN_LENGTH = 256;

  /**
   * Larger files are compressed only if a precompressed sibling exists: deflating 1 MiB takes the
   * event loop a few milliseconds, more would stall every other connection on it.
   */
  public static final long MAX_ON_THE_FLY = 1 << 20;

  private static final Pattern QVALUE = Pattern.compile("0(\\.[0-9]{0,3})?|1(\\.0{0,3})?");

  private Gzip() {}

  /**
   * Whether an Accept-Encoding value (RFC 9110 12.5.3) accepts gzip: "gzip" or "x-gzip" with a
   * non-zero q, or else "*" with a non-zero q. No header means identity, as every server takes it.
   * A malformed q counts as 0: sending identity is never wrong.
   */
  public static boolean accepted(String acceptEncoding) {
    if (acceptEncoding == null) {
      return false;
    }
    double gzip = -1;
    double any = -1;
    for (String element : acceptEncoding.split(",")) {
      String[] parts = element.split(";");
      String coding = parts[0].trim().toLowerCase(Locale.ROOT);
      double q = 1;
      for (int i = 1; i < parts.length; i++) {
        String[] parameter = parts[i].split("=", 2);
        if (parameter[0].trim().equalsIgnoreCase("q")) {
          String value = parameter.length == 2 ? parameter[1].trim() : "";
          q = QVALUE.matcher(value).matches() ? Double.parseDouble(value) : 0;
        }
      }
      switch (coding) {
        case "gzip", "x-gzip" -> gzip = Math.max(gzip, q);
        case "*" -> any = Math.max(any, q);
        default -> {}
      }
    }
    return gzip >= 0 ? gzip > 0 : any > 0;
  }

  /** Text-like types: the ones deflate shrinks. Images, fonts, archives and wasm are left alone. */
  public static boolean compressible(String contentType) {
    int semicolon = contentType.indexOf(';');
    String type =
        (semicolon < 0 ? contentType : contentType.substring(0, semicolon))
            .trim()
            .toLowerCase(Locale.ROOT);
    return type.startsWith("text/")
        || type.endsWith("+json")
        || type.endsWith("+xml")
        || switch (type) {
          case "application/json", "application/javascript", "application/xml" -> true;
          default -> false;
        };
  }
}
