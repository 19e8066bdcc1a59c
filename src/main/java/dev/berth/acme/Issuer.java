package dev.berth.acme;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.shredzone.acme4j.Authorization;
import org.shredzone.acme4j.Login;
import org.shredzone.acme4j.Order;
import org.shredzone.acme4j.OrderBuilder;
import org.shredzone.acme4j.Problem;
import org.shredzone.acme4j.Status;
import org.shredzone.acme4j.challenge.Challenge;
import org.shredzone.acme4j.challenge.Http01Challenge;
import org.shredzone.acme4j.challenge.TlsAlpn01Challenge;
import org.shredzone.acme4j.exception.AcmeException;
import org.shredzone.acme4j.exception.AcmeNetworkException;
import org.shredzone.acme4j.exception.AcmeRateLimitedException;
import org.shredzone.acme4j.exception.AcmeServerException;

/**
 * One order for one host, start to end: the order, its authorization answered by the first of the
 * given challenges the CA offers, a new ECDSA P-256 key and its CSR, and the chain downloaded.
 * Blocks (the CA is polled): run it off the event loops.
 */
final class Issuer {

  /** A certificate issued: its key and chain (the leaf first). */
  record Issued(KeyPair key, List<X509Certificate> chain) {
    Issued {
      requireNonNull(key, "key");
      chain = List.copyOf(chain);
    }
  }

  private final AcmeAccount account;
  private final HttpChallenges http;
  private final AlpnChallenges alpn;
  private final Duration timeout;

  /**
   * @param alpn where TLS-ALPN-01 is answered, or null when berth cannot (no TLS listener)
   * @param timeout how long each wait on the CA may last (a challenge, the order)
   */
  Issuer(AcmeAccount account, HttpChallenges http, AlpnChallenges alpn, Duration timeout) {
    this.account = requireNonNull(account, "account");
    this.http = requireNonNull(http, "http");
    this.alpn = alpn;
    this.timeout = requireNonNull(timeout, "timeout");
  }

  /**
   * Orders a certificate for {@code host}.
   *
   * @param kinds the challenges berth can answer, the preferred first
   * @param replacing the certificate this one renews (the CA is told, where it knows ARI), or null
   * @throws IssueException with the reason, in the CA's words where it gave them
   */
  Issued issue(String host, List<ChallengeKind> kinds, X509Certificate replacing)
      throws IssueException, InterruptedException {
    try {
      Login login = account.login();
      OrderBuilder builder = login.newOrder().domain(host);
      if (replacing != null && account.hasRenewalInfo()) {
        builder.replaces(replacing);
      }
      Order order = builder.create();
      for (Authorization authorization : order.getAuthorizations()) {
        authorize(authorization, kinds);
      }
      Status status = order.waitUntilReady(timeout);
      if (status != Status.READY) {
        throw failed("the order is " + status.name().toLowerCase(), order.getError());
      }
      KeyPair key = CertificateFiles.newKey();
      order.execute(key);
      status = order.waitForCompletion(timeout);
      if (status != Status.VALID) {
        throw failed(
            "the CA did not issue (" + status.name().toLowerCase() + ")", order.getError());
      }
      return new Issued(key, order.getCertificate().getCertificateChain());
    } catch (AcmeRateLimitedException e) {
      throw new IssueException(
          "rate limited by the CA: " + e.getProblem(), e.getRetryAfter().orElse(null), e);
    } catch (AcmeServerException e) {
      throw new IssueException("the CA refused: " + e.getProblem(), null, e);
    } catch (AcmeNetworkException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new IssueException("cannot reach the CA: " + describe(cause), null, e);
    } catch (AcmeException e) {
      throw new IssueException(e.getMessage(), null, e);
    } catch (IOException e) {
      throw new IssueException("the account key: " + e.getMessage(), null, e);
    }
  }

  private void authorize(Authorization authorization, List<ChallengeKind> kinds)
      throws AcmeException, IssueException, InterruptedException {
    if (authorization.getStatus() == Status.VALID) {
      // The CA still trusts an earlier validation of this name.
      return;
    }
    for (ChallengeKind kind : kinds) {
      Optional<Challenge> challenge = authorization.findChallenge(kind.type());
      if (challenge.isPresent()) {
        answer(authorization, kind, challenge.get());
        return;
      }
    }
    String offered =
        authorization.getChallenges().stream()
            .map(Challenge::getType)
            .collect(Collectors.joining(", "));
    String answerable = kinds.stream().map(ChallengeKind::type).collect(Collectors.joining(", "));
    throw new IssueException(
        "the CA offers no challenge berth can answer for "
            + authorization.getIdentifier().getValue()
            + " (offered: "
            + offered
            + "; berth answers: "
            + (answerable.isEmpty() ? "none, with its listeners" : answerable)
            + ")");
  }

  private void answer(Authorization authorization, ChallengeKind kind, Challenge challenge)
      throws AcmeException, IssueException, InterruptedException {
    String host = authorization.getIdentifier().getDomain();
    Runnable withdraw;
    switch (kind) {
      case HTTP_01 -> {
        Http01Challenge http01 = (Http01Challenge) challenge;
        String token = http01.getToken();
        http.put(token, http01.getAuthorization());
        withdraw = () -> http.remove(token);
      }
      case TLS_ALPN_01 -> {
        if (alpn == null) {
          throw new IllegalStateException("TLS-ALPN-01 asked of an issuer without TLS listeners");
        }
        TlsAlpn01Challenge tlsAlpn01 = (TlsAlpn01Challenge) challenge;
        KeyPair key = CertificateFiles.newKey();
        alpn.offer(
            host,
            key.getPrivate(),
            AlpnCertificate.create(key, host, tlsAlpn01.getAcmeValidation()));
        withdraw = () -> alpn.withdraw(host);
      }
      default -> throw new IllegalStateException("unknown challenge kind " + kind);
    }
    try {
      if (challenge.getStatus() != Status.VALID) {
        challenge.trigger();
      }
      Status status = challenge.waitForCompletion(timeout);
      if (status != Status.VALID) {
        throw failed(
            "the CA could not validate the " + kind.type() + " challenge", challenge.getError());
      }
    } finally {
      withdraw.run();
    }
  }

  private static IssueException failed(String what, Optional<Problem> problem) {
    return new IssueException(problem.map(p -> what + ": " + p).orElse(what));
  }

  private static String describe(Throwable cause) {
    String message = cause.getMessage();
    return message == null || message.isBlank() ? cause.getClass().getSimpleName() : message;
  }
}
