package dev.berth.files;

/** What a Range header (RFC 9110 14.1.2) asks of a representation of a known length. */
public sealed interface ByteRange {

  /** No range, or one to ignore: send the whole representation (200). */
  record Whole() implements ByteRange {}

  /** One satisfiable range: send {@code length} bytes from {@code offset} (206). */
  record Slice(long offset, long length) implements ByteRange {
    public long last() {
      return offset + length - 1;
    }
  }

  /** A single range that lies entirely past the end (416). */
  record Unsatisfiable() implements ByteRange {}

  /**
   * @param header the Range field value, or null
   * @param length the representation's length in bytes
   */
  static ByteRange of(String header, long length) {
    if (header == null) {
      return new Whole();
    }
    int equals = header.indexOf('=');
    if (equals < 0 || !header.substring(0, equals).trim().equalsIgnoreCase("bytes")) {
      return new Whole(); // another unit, or not a range at all: ignored as RFC 9110 14.2 allows
    }
    String set = header.substring(equals + 1).trim();
    // Several ranges would need multipart/byteranges. RFC 9110 14.2 lets a server ignore Range, so
    // any list of more than one range gets the whole file (200); clients that ask for several cope.
    int dash = set.indexOf('-');
    if (dash < 0 || set.indexOf(',') >= 0) {
      return new Whole();
    }
    String firstDigits = set.substring(0, dash);
    String lastDigits = set.substring(dash + 1);
    long first = firstDigits.isEmpty() ? 0 : number(firstDigits);
    long last = lastDigits.isEmpty() ? Long.MAX_VALUE : number(lastDigits);
    if (first < 0 || last < 0 || (firstDigits.isEmpty() && lastDigits.isEmpty())) {
      return new Whole(); // syntactically invalid: ignored (RFC 9110 14.2)
    }
    if (firstDigits.isEmpty()) { // -suffix: the last bytes, all of them if the file is shorter
      long count = Math.min(last, length);
      return count == 0 ? new Unsatisfiable() : new Slice(length - count, count);
    }
    if (last < first) {
      return new Whole(); // invalid per RFC 9110 14.1.1, so ignored rather than refused
    }
    return first < length
        ? new Slice(first, Math.min(last, length - 1) - first + 1)
        : new Unsatisfiable();
  }

  /**
   * Digits only, so a sign or a blank inside is a syntax error (-1); so are too many for a length.
   */
  private static long number(String digits) {
    if (digits.length() > 18 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return -1;
    }
    return Long.parseLong(digits);
  }
}
