package dev.berth.files;

import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.Date;
import java.util.List;

/**
 * The conditional request headers of RFC 9110 13, evaluated for a GET or HEAD of a file that
 * exists.
 */
public final class Preconditions {

  /** What the request's conditions say to do. */
  public enum Outcome {
    SEND,
    NOT_MODIFIED,
    PRECONDITION_FAILED
  }

  private Preconditions() {}

  /**
   * The order of RFC 9110 13.2.2: If-Match, else If-Unmodified-Since; then If-None-Match, else
   * If-Modified-Since.
   */
  public static Outcome evaluate(HttpHeaders headers, Validator current) {
    String ifMatch = joined(headers.getAll(HttpHeaderNames.IF_MATCH));
    boolean failed =
        ifMatch != null
            ? !anyMatches(ifMatch, current.etag(), false)
            : modifiedAfter(date(headers.get(HttpHeaderNames.IF_UNMODIFIED_SINCE)), current);
    if (failed) {
      return Outcome.PRECONDITION_FAILED;
    }
    String ifNoneMatch = joined(headers.getAll(HttpHeaderNames.IF_NONE_MATCH));
    if (ifNoneMatch != null) {
      return anyMatches(ifNoneMatch, current.etag(), true) ? Outcome.NOT_MODIFIED : Outcome.SEND;
    }
    Date since = date(headers.get(HttpHeaderNames.IF_MODIFIED_SINCE));
    return since != null && !modifiedAfter(since, current) ? Outcome.NOT_MODIFIED : Outcome.SEND;
  }

  /**
   * Whether a Range may be honoured under If-Range (RFC 9110 13.1.5): with no If-Range, yes; with
   * an entity tag, only a strong match; with a date, only exactly the Last-Modified time.
   */
  public static boolean ifRangeHolds(String ifRange, Validator current) {
    if (ifRange == null) {
      return true;
    }
    String value = ifRange.trim();
    if (value.startsWith("\"") || value.startsWith("W/")) {
      return value.equals(current.etag());
    }
    Date date = date(value);
    return date != null && seconds(date) == current.modifiedSeconds();
  }

  /**
   * Whether a list of entity tags ("*", or tags separated by commas) holds {@code etag} (strong).
   * Weak comparison ignores the other side's W/; strong comparison never matches it. A malformed
   * list matches what it held before the error and nothing after.
   */
  private static boolean anyMatches(String list, String etag, boolean weak) {
    if (list.trim().equals("*")) {
      return true;
    }
    int i = 0;
    while (i < list.length()) {
      char c = list.charAt(i);
      if (c == ' ' || c == '\t' || c == ',') {
        i++;
        continue;
      }
      boolean isWeak = list.startsWith("W/", i);
      int open = isWeak ? i + 2 : i;
      int close =
          open < list.length() && list.charAt(open) == '"' ? list.indexOf('"', open + 1) : -1;
      if (close < 0) {
        return false;
      }
      if ((weak || !isWeak)
          && list.regionMatches(open, etag, 0, etag.length())
          && close + 1 - open == etag.length()) {
        return true;
      }
      i = close + 1;
    }
    return false;
  }

  private static boolean modifiedAfter(Date date, Validator current) {
    return date != null && current.modifiedSeconds() > seconds(date);
  }

  private static long seconds(Date date) {
    return Math.floorDiv(date.getTime(), 1000);
  }

  /** A valid HTTP date, or null: an invalid one makes its condition ignored (RFC 9110 13.1.3). */
  private static Date date(String value) {
    return value == null ? null : DateFormatter.parseHttpDate(value);
  }

  /** A field sent on several lines is one comma-separated list (RFC 9110 5.3). */
  private static String joined(List<String> lines) {
    return lines.isEmpty() ? null : String.join(",", lines);
  }
}
