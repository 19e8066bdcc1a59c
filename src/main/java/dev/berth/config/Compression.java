package dev.berth.config;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Locale;

/**
 * How an app route compresses its responses at the edge (its {@code compress}, {@code
 * compress_min_size} and {@code compress_types} keys).
 *
 * @param codings the content codings offered, in berth's order of preference; empty: off
 * @param minSize responses whose Content-Length is smaller go out as they are (a body of unknown
 *     length, chunked or ended by closing, is compressed)
 * @param types the media types compressed: "type/subtype", or "type/*" for every subtype; lower
 *     case, without parameters
 */
public record Compression(List<Coding> codings, long minSize, List<String> types) {

  /** A content coding (RFC 9110 8.4.1) that berth can apply. */
  public enum Coding {
    ZSTD("zstd"),
    BR("br"),
    GZIP("gzip");

    private final String token;

    Coding(String token) {
      this.token = token;
    }

    /** The coding's name in Accept-Encoding and Content-Encoding. */
    public String token() {
      return token;
    }

    /** The coding named {@code token} (as written in berth.toml), or null. */
    static Coding of(String token) {
      for (Coding c : values()) {
        if (c.token.equals(token)) {
          return c;
        }
      }
      return null;
    }
  }

  /** zstd first (the fastest of the three for its ratio), then br, then gzip, as Caddy orders. */
  public static final List<Coding> DEFAULT_CODINGS = List.of(Coding.ZSTD, Coding.BR, Coding.GZIP);

  /** nginx's gzip_min_length is 20 bytes, Caddy's minimum_length 512; static files use 256. */
  public static final long DEFAULT_MIN_SIZE = 256;

  /**
   * The text-like types nginx users list in gzip_types and Caddy's encode compresses by default.
   * Images other than SVG, audio, video, fonts in woff/woff2 and archives are compressed already.
   */
  public static final List<String> DEFAULT_TYPES =
      List.of(
          "text/*",
          "application/json",
          "application/javascript",
          "application/xml",
          "application/xhtml+xml",
          "application/atom+xml",
          "application/rss+xml",
          "application/ld+json",
          "application/manifest+json",
          "application/problem+json",
          "application/geo+json",
          "application/wasm",
          "image/svg+xml",
          "image/x-icon",
          "font/ttf",
          "font/otf");

  public static final Compression DEFAULT =
      new Compression(DEFAULT_CODINGS, DEFAULT_MIN_SIZE, DEFAULT_TYPES);

  public static final Compression OFF = new Compression(List.of(), DEFAULT_MIN_SIZE, DEFAULT_TYPES);

  public Compression {
    codings = List.copyOf(requireNonNull(codings, "codings"));
    types = List.copyOf(requireNonNull(types, "types"));
    if (minSize < 0) {
      throw new IllegalArgumentException("minSize < 0: " + minSize);
    }
  }

  /** Whether this route compresses at all. */
  public boolean enabled() {
    return !codings.isEmpty();
  }

  /**
   * Whether a response of this Content-Type is compressed: its media type (parameters and case
   * aside) is one of {@link #types}, or its type's "type/*" is.
   */
  public boolean compressesType(String contentType) {
    if (contentType == null) {
      return false;
    }
    int end = contentType.indexOf(';');
    String media =
        (end < 0 ? contentType : contentType.substring(0, end)).trim().toLowerCase(Locale.ROOT);
    int slash = media.indexOf('/');
    if (slash <= 0) {
      return false;
    }
    for (String type : types) {
      if (type.equals(media)
          || (type.endsWith("/*")
              && type.length() == slash + 2
              && media.regionMatches(0, type, 0, slash + 1))) {
        return true;
      }
    }
    return false;
  }
}
