package dev.berth.access;

import static java.util.Objects.requireNonNull;

import java.util.concurrent.CompletionStage;

/** What the access rules of a route say about one request. */
public sealed interface Verdict {

  /** Go on to the route's target. */
  Verdict PASS = new Pass();

  /** Go on to the route's target. */
  record Pass() implements Verdict {}

  /** 403: the client's address is denied, or not allowed. */
  record Forbidden() implements Verdict {}

  /** 401 with {@code WWW-Authenticate: Basic realm="..."}: no user, or a wrong password. */
  record Unauthorized(String realm) implements Verdict {
    public Unauthorized {
      requireNonNull(realm, "realm");
    }
  }

  /** 429: the client used its tokens; one comes back in {@code retryAfterSeconds} (at least 1). */
  record TooManyRequests(long retryAfterSeconds) implements Verdict {}

  /** 503: too many passwords are being checked at once to take another now. */
  record Busy(long retryAfterSeconds) implements Verdict {}

  /**
   * A password is being checked off the event loop: the verdict ({@link Pass} or {@link
   * Unauthorized}, or {@link Busy}) comes later, on the checking thread.
   */
  record Pending(CompletionStage<Verdict> result) implements Verdict {
    public Pending {
      requireNonNull(result, "result");
    }
  }
}
