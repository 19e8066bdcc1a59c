package dev.berth.acme;

import java.time.Instant;

/**
 * An order that did not end in a certificate. The message is the reason, in the CA's own words
 * where the CA gave one ("the CA could not validate the http-01 challenge: ...").
 */
public final class IssueException extends Exception {

  private final transient Instant retryAfter;

  IssueException(String reason, Instant retryAfter, Throwable cause) {
    super(reason, cause);
    this.retryAfter = retryAfter;
  }

  IssueException(String reason) {
    this(reason, null, null);
  }

  /** When the CA said to try again (a rate limit), or null. */
  Instant retryAfter() {
    return retryAfter;
  }
}
