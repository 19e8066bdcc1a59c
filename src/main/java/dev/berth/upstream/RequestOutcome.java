package dev.berth.upstream;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * What became of one request to a peer that a drain watched ({@link DrainWatch}): told by the
 * exchange where it ended, in words for the deploy's output. Only the method and the path are kept,
 * never the query: it may hold secrets.
 *
 * @param method GET, POST ...
 * @param path the request's path, without its query
 * @param status the status the client got (a whole response, part of one, or berth's error page); 0
 *     when it got none from this exchange (retried elsewhere, or the client left first)
 * @param took from the first try of an instance to this end; null when unknown (a tunnel)
 * @param endedNanos when it ended ({@link System#nanoTime})
 */
public record RequestOutcome(
    Kind kind,
    Cause cause,
    String method,
    String path,
    int status,
    Duration took,
    long endedNanos) {

  /** The longest path shown; the rest is cut off, so one request stays one line. */
  private static final int PATH_SHOWN = 80;

  /** How the exchange with this peer ended. */
  public enum Kind {
    /** The whole response came from the app and went on to the client. */
    FINISHED,
    /** The app's side ended before a response began; the client got berth's error page. */
    CUT_BEFORE_ANSWER,
    /** The app's side ended during the response: the client got part of it. */
    CUT_MID_RESPONSE,
    /** The app's side ended before a response began; the request went on to another instance. */
    RETRIED,
    /** The client's connection closed (or berth refused its body) first. */
    CLIENT_ENDED,
    /** An upgraded connection (a WebSocket) through the peer closed. */
    TUNNEL_CLOSED,
    /** The connection to the peer failed: the request never reached it. */
    NOT_SENT;

    /**
     * How an exchange that lets go of its instance before the response's end ends there.
     *
     * @param cause why the app's side ended, or null: the client's connection closed
     * @param responseStarted whether the response's head went on to the client
     * @param answered the status the client got or gets, 0 when the request goes on elsewhere
     */
    public static Kind cut(Cause cause, boolean responseStarted, int answered) {
      if (cause == null || cause == Cause.REFUSED) {
        return CLIENT_ENDED;
      }
      if (responseStarted) {
        return CUT_MID_RESPONSE;
      }
      return answered == 0 ? RETRIED : CUT_BEFORE_ANSWER;
    }
  }

  /** Why the app's side of the exchange ended early, when it did. */
  public enum Cause {
    CLOSED("the app closed the connection"),
    FAILED("the connection to the app failed"),
    TIMED_OUT("the app did not answer within the route's response timeout"),
    MALFORMED("the app sent a malformed response"),
    REFUSED("berth refused the request body");

    private final String words;

    Cause(String words) {
      this.words = words;
    }

    public String words() {
      return words;
    }
  }

  public RequestOutcome {
    requireNonNull(kind, "kind");
    requireNonNull(method, "method");
    requireNonNull(path, "path");
  }

  /** Whether the app's side cut it (closed, failed, timed out): a stop may be why. */
  public boolean cutByApp() {
    return (kind == Kind.CUT_BEFORE_ANSWER || kind == Kind.CUT_MID_RESPONSE || kind == Kind.RETRIED)
        && cause != Cause.REFUSED;
  }

  /** "GET /slow". */
  public String request() {
    return method + " " + path;
  }

  /**
   * What the client got, in words: "finished 200", "cut before answering, the client got 502", "cut
   * mid-response, the client got part of a 200", "retried on another instance" ...
   */
  public String outcome() {
    return switch (kind) {
      case FINISHED -> "finished " + status;
      case CUT_BEFORE_ANSWER -> "cut before answering, the client got " + status;
      case CUT_MID_RESPONSE -> "cut mid-response, the client got part of a " + status;
      case RETRIED -> "not answered, retried on another instance";
      case CLIENT_ENDED ->
          cause == Cause.REFUSED
              ? "cut, the client got " + status
              : "ended by the client (its connection closed)";
      case TUNNEL_CLOSED -> "upgraded connection (WebSocket) closed";
      case NOT_SENT -> "not sent: the connection to the instance failed";
    };
  }

  /** The short word that counts it among others: "finished", "cut", "retried" ... */
  public String tally() {
    return switch (kind) {
      case FINISHED -> "finished";
      case CUT_BEFORE_ANSWER, CUT_MID_RESPONSE -> "cut";
      case RETRIED -> "retried";
      case CLIENT_ENDED -> cause == Cause.REFUSED ? "refused" : "ended by the client";
      case TUNNEL_CLOSED -> "upgraded connection closed";
      case NOT_SENT -> "not sent";
    };
  }

  /** Why, when the app's side ended it early; null otherwise. */
  public String why() {
    return cause == null ? null : cause.words();
  }

  /**
   * The path of a request target, without its query or fragment: origin form as is, absolute form
   * less its scheme and authority, anything else ("*", an authority) as it came.
   */
  static String pathOf(String uri) {
    String target = uri;
    int scheme = target.startsWith("/") ? -1 : target.indexOf("://");
    if (scheme > 0) {
      int authority = scheme + 3;
      while (authority < target.length() && "/?#".indexOf(target.charAt(authority)) < 0) {
        authority++;
      }
      target =
          authority < target.length() && target.charAt(authority) == '/'
              ? target.substring(authority)
              : "/";
    }
    int end = target.length();
    for (int i = 0; i < end; i++) {
      char c = target.charAt(i);
      if (c == '?' || c == '#') {
        end = i;
      }
    }
    target = target.substring(0, Math.min(end, PATH_SHOWN)) + (end > PATH_SHOWN ? "..." : "");
    return target.isEmpty() ? "/" : target;
  }
}
