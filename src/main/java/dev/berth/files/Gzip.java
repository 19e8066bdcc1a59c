package dev.berth.files;

import java.util.List;
import java.util.Locale;

/** When a static file may go out gzip-compressed: what the client accepts and what is worth it. */
public final class Gzip {

  /** Smaller files gain too little to be worth a second representation. */
  public static final long MIN_LENGTH = 256;

  /**
   * Larger files are compressed only if a precompressed sibling exists: deflating 1 MiB takes the
   * event loop a few milliseconds, more would stall every other connection on it.
   */
  public static final long MAX_ON_THE_FLY = 1 << 20;

  private static final List<String> GZIP = List.of("gzip");

  private Gzip() {}

  /**
   * Whether an Accept-Encoding value (RFC 9110 12.5.3) accepts gzip: "gzip" or "x-gzip" with a
   * non-zero q, or else "*" with a non-zero q (see {@link AcceptEncoding#pick}).
   */
  public static boolean accepted(String acceptEncoding) {
    return AcceptEncoding.pick(acceptEncoding, GZIP) == 0;
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
