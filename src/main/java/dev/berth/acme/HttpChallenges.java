package dev.berth.acme;

import static java.util.Objects.requireNonNull;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The HTTP-01 challenges of the orders in progress: token to key authorization. The edge asks it
 * for each {@code GET /.well-known/acme-challenge/TOKEN} ({@link #answer}, from event loops: a map
 * read, never blocking); an order puts its token in before it tells the CA to look, and takes it
 * out once the CA has decided.
 */
public final class HttpChallenges {

  private final Map<String, String> answers = new ConcurrentHashMap<>();

  /** The key authorization for {@code token}, or null when no order in progress has it. */
  public String answer(String token) {
    return token == null ? null : answers.get(token);
  }

  void put(String token, String keyAuthorization) {
    answers.put(
        requireNonNull(token, "token"), requireNonNull(keyAuthorization, "keyAuthorization"));
  }

  void remove(String token) {
    answers.remove(requireNonNull(token, "token"));
  }
}
