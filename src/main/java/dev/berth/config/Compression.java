package dev.berth.config;

import static java.util.Objects.requireNonNull;

import java.util.List;

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
  public boolean compressesType(CharSequence contentType) {
    // On characters, not a lower-cased copy: the raw pass-through asks this of every response
    // head to a client that takes a coding, and its scan allocates nothing.
    if (contentType == null) {
      return false;
    }
    int from = 0;
    int end = 0;
    while (end < contentType.length() && contentType.charAt(end) != ';') {
      end++;
    }
    while (from < end && contentType.charAt(from) <= ' ') {
      from++;
    }
    while (end > from && contentType.charAt(end - 1) <= ' ') {
      end--;
    }
    int slash = from;
    while (slash < end && contentType.charAt(slash) != '/') {
      slash++;
    }
    if (slash == from || slash == end) {
      return false;
    }
    for (int i = 0; i < types.size(); i++) {
      String type = types.get(i);
      if ((type.length() == end - from && sameIgnoringCase(contentType, from, type, end - from))
          || (type.endsWith("/*")
              && type.length() == slash - from + 2
              && sameIgnoringCase(contentType, from, type, slash - from + 1))) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether {@code length} characters of {@code text} from {@code from} are {@code lowerCase}'s.
   */
  private static boolean sameIgnoringCase(
      CharSequence text, int from, String lowerCase, int length) {
    for (int i = 0; i < length; i++) {
      if (Character.toLowerCase(text.charAt(from + i)) != lowerCase.charAt(i)) {
        return false;
      }
    }
    return true;
  }
}
