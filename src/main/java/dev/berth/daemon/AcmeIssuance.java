package dev.berth.daemon;

import static java.util.Objects.requireNonNull;

import dev.berth.acme.AcmeCertificates;
import dev.berth.acme.AcmeServer;
import dev.berth.acme.AlpnChallenges;
import dev.berth.acme.CertificateSink;
import dev.berth.acme.ChallengeKind;
import dev.berth.acme.HttpChallenges;
import dev.berth.config.Config;
import dev.berth.config.ListenerTls;
import dev.berth.config.Route;
import dev.berth.config.TlsSettings;
import dev.berth.edge.Edge;
import dev.berth.tls.CertificateStore;
import dev.berth.tls.TlsSites;
import java.io.IOException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The certificates of the {@code tls = "acme"} listeners, wired: at {@code up} and after each
 * reload, every host the routes name gets one from the CA of {@code [tls]} (kept, renewed), issued
 * certificates go into the listeners' store (no connection closed), and the challenges are answered
 * by the edge (HTTP-01, on every listener) and the store (TLS-ALPN-01).
 *
 * <p>Which challenge: HTTP-01 first when berth has a plain listener, whatever its port (a port
 * forward from 80 to 8080 is common, and berth cannot see it), then TLS-ALPN-01 (the CA connects to
 * port 443); after a failure the next order tries the other. With no plain listener, TLS-ALPN-01
 * only.
 */
final class AcmeIssuance implements AutoCloseable {

  private final Path stateDir;
  private final TlsSites tls;
  private final Consumer<String> say;
  private final HttpChallenges http = new HttpChallenges();
  private AcmeCertificates running;
  private AcmeServer server;

  AcmeIssuance(Path stateDir, Edge edge, TlsSites tls, Consumer<String> say) {
    this.stateDir = requireNonNull(stateDir, "stateDir");
    this.tls = requireNonNull(tls, "tls");
    this.say = requireNonNull(say, "say");
    edge.answerAcmeChallenges(http::answer);
  }

  /**
   * Makes the certificates follow {@code config}: new hosts ordered, gone ones no longer renewed, a
   * new CA or account (the [tls] keys changed) used from now on. Returns at once; orders run on.
   *
   * @throws IOException when {@code acme_trust} cannot be read (nothing changed then)
   */
  synchronized void apply(Config config) throws IOException {
    boolean acme = config.listeners().stream().anyMatch(l -> l.tls() instanceof ListenerTls.Acme);
    if (!acme) {
      close();
      return;
    }
    TlsSettings settings = config.tls();
    AcmeServer wanted =
        new AcmeServer(settings.acmeDirectory(), settings.acmeTrust(), settings.email());
    if (running == null || !wanted.equals(server)) {
      AcmeCertificates next = new AcmeCertificates(stateDir, wanted, http, alpn(), sink(), say);
      close();
      running = next;
      server = wanted;
      say.accept(
          "acme: certificates from "
              + wanted.directory()
              + " (account and certificates in "
              + next.directory()
              + ")");
    }
    running.challenges(challenges(config));
    running.manage(hosts(config));
  }

  /** The running certificates, or null when no listener has tls = "acme". */
  synchronized AcmeCertificates current() {
    return running;
  }

  /** HTTP-01 when a plain listener can answer it, TLS-ALPN-01 always (there is a TLS listener). */
  static List<ChallengeKind> challenges(Config config) {
    List<ChallengeKind> kinds = new ArrayList<>();
    if (config.listeners().stream().anyMatch(l -> !l.secure())) {
      kinds.add(ChallengeKind.HTTP_01);
    }
    kinds.add(ChallengeKind.TLS_ALPN_01);
    return kinds;
  }

  /**
   * Every host the routes name: those the store serves, and the wildcards it cannot (they are
   * reported as such in {@code berth certs}).
   */
  private static List<String> hosts(Config config) {
    Set<String> hosts = new LinkedHashSet<>(TlsSites.acmeHosts(config));
    for (Route route : config.routes()) {
      if (route.host().startsWith("*.")) {
        hosts.add(route.host().toLowerCase(Locale.ROOT));
      }
    }
    return List.copyOf(hosts);
  }

  private CertificateSink sink() {
    return (String host, PrivateKey key, List<X509Certificate> chain) -> {
      CertificateStore store = tls.acme();
      if (store != null) {
        store.put(host, key, chain.toArray(X509Certificate[]::new));
      }
    };
  }

  private AlpnChallenges alpn() {
    return new AlpnChallenges() {
      @Override
      public void offer(String host, PrivateKey key, X509Certificate certificate) {
        CertificateStore store = tls.acme();
        if (store != null) {
          store.offerAlpnChallenge(host, key, certificate);
        }
      }

      @Override
      public void withdraw(String host) {
        CertificateStore store = tls.acme();
        if (store != null) {
          store.withdrawAlpnChallenge(host);
        }
      }
    };
  }

  /** Stops ordering and renewing; what is on disk and in the store stays. */
  @Override
  public synchronized void close() {
    if (running != null) {
      running.close();
      running = null;
      server = null;
    }
  }
}
