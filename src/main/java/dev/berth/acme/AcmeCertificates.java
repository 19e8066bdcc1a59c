package dev.berth.acme;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import org.shredzone.acme4j.exception.AcmeException;

/**
 * berth's certificates from one ACME CA: one per host it is given, kept on disk, installed in the
 * TLS listeners' store, and renewed. A host's stored certificate that is still valid is installed
 * and kept until its renewal; otherwise (or when it is due) an order starts at once. A failed order
 * is tried again with backoff ({@link RenewalPlan}); meanwhile the host keeps whatever it served
 * (the old certificate, or the store's placeholder), and its last error, in the CA's words, is
 * logged and shown by {@link #status()}.
 *
 * <p>Threads: each order, and each look at a host (at start, at a wake-up), runs on a virtual
 * thread of its own; one platform thread ({@code berth-acme-timer}) only keeps the wake-ups. A host
 * has at most one order at a time.
 */
public final class AcmeCertificates implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(AcmeCertificates.class.getName());

  static {
    // acme4j logs through SLF4J, for which berth has no provider: without this, SLF4J prints a
    // three-line warning at the first order. What matters of an order berth says itself.
    if (System.getProperty("slf4j.provider") == null) {
      System.setProperty("slf4j.internal.verbosity", "WARN");
      System.setProperty("slf4j.provider", "org.slf4j.helpers.NOP_FallbackServiceProvider");
    }
  }

  /** How long each wait on the CA may last (a challenge's validation, the order's issuance). */
  static final Duration WAIT = Duration.ofMinutes(2);

  private final CertificateFiles files;
  private final AcmeAccount account;
  private final Issuer issuer;
  private final CertificateSink sink;
  private final Consumer<String> say;
  private final RenewalPlan plan;
  private final Clock clock;
  private final ScheduledExecutorService timers;
  private final Map<String, Host> hosts = new ConcurrentHashMap<>();
  private final Set<Thread> running = ConcurrentHashMap.newKeySet();
  private volatile List<ChallengeKind> kinds = List.of(ChallengeKind.HTTP_01);
  private volatile boolean closed;

  /** One host's certificate and what is planned for it; guarded by itself. */
  private static final class Host {
    final String name;
    CertificateFiles.Stored current;
    Instant nextRenewal;

    /** Whether the CA's renewal window is known: wake-ups before the renewal read it again. */
    boolean renewalInfo;

    String lastError;
    int failures;
    ScheduledFuture<?> wake;
    CompletableFuture<HostStatus> order;
    boolean removed;

    Host(String name) {
      this.name = name;
    }
  }

  /**
   * @param stateDir berth's state dir: the account and certificates go under {@code certs/acme/}
   * @param http where the edge finds the HTTP-01 answers
   * @param alpn where TLS-ALPN-01 is answered, or null when berth cannot (no TLS listener)
   * @param sink where issued (and valid stored) certificates go
   * @param say what berth says of each host (issued, stored one used, a failure and its reason);
   *     never a key
   * @throws IOException when {@code acme_trust} cannot be read
   */
  public AcmeCertificates(
      Path stateDir,
      AcmeServer server,
      HttpChallenges http,
      AlpnChallenges alpn,
      CertificateSink sink,
      Consumer<String> say)
      throws IOException {
    this(
        stateDir,
        server,
        http,
        alpn,
        sink,
        say,
        Clock.systemUTC(),
        RandomGenerator.getDefault(),
        WAIT);
  }

  AcmeCertificates(
      Path stateDir,
      AcmeServer server,
      HttpChallenges http,
      AlpnChallenges alpn,
      CertificateSink sink,
      Consumer<String> say,
      Clock clock,
      RandomGenerator random,
      Duration wait)
      throws IOException {
    this.say = requireNonNull(say, "say");
    this.files = new CertificateFiles(stateDir, server.directory());
    this.account = new AcmeAccount(server, files);
    this.issuer = new Issuer(account, http, alpn, wait);
    this.sink = requireNonNull(sink, "sink");
    this.plan = new RenewalPlan(random);
    this.clock = requireNonNull(clock, "clock");
    this.timers =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread thread = new Thread(r, "berth-acme-timer");
              thread.setDaemon(true);
              return thread;
            });
  }

  /**
   * The challenges berth can answer with its listeners now, the preferred first; after a failed
   * order the next one tries the next kind (a port the CA cannot reach fails one kind, not the
   * other).
   */
  public void challenges(List<ChallengeKind> preferred) {
    if (preferred.isEmpty()) {
      throw new IllegalArgumentException("no challenge kind");
    }
    kinds = List.copyOf(preferred);
  }

  /**
   * The hosts to keep certificates for: new ones start (their stored certificate, or an order),
   * those no longer named are dropped (no more renewals; their files stay). Returns at once.
   */
  public synchronized void manage(Collection<String> names) {
    Set<String> wanted = new HashSet<>();
    for (String name : names) {
      wanted.add(name.toLowerCase(Locale.ROOT));
    }
    for (String name : wanted) {
      if (!hosts.containsKey(name) && !closed) {
        Host host = new Host(name);
        hosts.put(name, host);
        background(name, () -> begin(host));
      }
    }
    for (Host host : List.copyOf(hosts.values())) {
      if (!wanted.contains(host.name)) {
        hosts.remove(host.name);
        synchronized (host) {
          host.removed = true;
          cancelWake(host);
        }
      }
    }
  }

  /**
   * Orders a new certificate for {@code host} now (or joins the order in progress). The future
   * completes with the host's status once the certificate is installed, or with an {@link
   * IssueException} whose message is the reason.
   */
  public CompletableFuture<HostStatus> renew(String name) {
    Host host = hosts.get(name.toLowerCase(Locale.ROOT));
    if (host == null) {
      return CompletableFuture.failedFuture(
          new IllegalArgumentException(
              "no certificate of berth's is for "
                  + name
                  + " (no route to a tls = \"acme\" listener)"));
    }
    String problem = HostNames.problem(host.name);
    if (problem != null) {
      return CompletableFuture.failedFuture(new IssueException(problem));
    }
    return order(host);
  }

  /** Each host's certificate and plans, by name. */
  public List<HostStatus> status() {
    List<HostStatus> all = new ArrayList<>();
    for (Host host : hosts.values()) {
      all.add(status(host));
    }
    all.sort(Comparator.comparing(HostStatus::host));
    return all;
  }

  /** Where this CA's account and certificates are kept. */
  public Path directory() {
    return files.root();
  }

  private static HostStatus status(Host host) {
    synchronized (host) {
      X509Certificate leaf = host.current == null ? null : host.current.leaf();
      return new HostStatus(
          host.name,
          leaf == null ? null : issuerName(leaf),
          leaf == null ? null : leaf.getNotAfter().toInstant(),
          host.order == null ? host.nextRenewal : null,
          host.lastError,
          host.order != null);
    }
  }

  /** A host just given: its stored certificate when still good, otherwise an order. */
  private void begin(Host host) {
    String problem = HostNames.problem(host.name);
    if (problem != null) {
      synchronized (host) {
        host.lastError = problem;
      }
      say.accept("acme: no certificate for " + host.name + ": " + problem);
      return;
    }
    Optional<CertificateFiles.Stored> stored;
    try {
      stored = files.load(host.name);
    } catch (IOException e) {
      say.accept(
          "acme: "
              + host.name
              + ": the stored certificate cannot be read ("
              + e.getMessage()
              + "); ordering a new one");
      stored = Optional.empty();
    }
    Instant now = clock.instant();
    if (stored.isPresent() && validAt(stored.get().leaf(), now)) {
      CertificateFiles.Stored certificate = stored.get();
      synchronized (host) {
        // An order forced meanwhile (berth certs renew) may have put a newer one in already.
        if (host.removed || closed || host.current != null) {
          return;
        }
        sink.install(host.name, certificate.key().getPrivate(), certificate.chain());
        host.current = certificate;
      }
      say.accept(
          "acme: "
              + host.name
              + ": using the stored certificate, valid until "
              + certificate.leaf().getNotAfter().toInstant());
      planRenewal(host);
    } else {
      order(host);
    }
  }

  private static boolean validAt(X509Certificate leaf, Instant now) {
    return !now.isBefore(leaf.getNotBefore().toInstant())
        && now.isBefore(leaf.getNotAfter().toInstant());
  }

  private CompletableFuture<HostStatus> order(Host host) {
    CompletableFuture<HostStatus> done;
    synchronized (host) {
      if (host.order != null) {
        return host.order;
      }
      cancelWake(host);
      done = new CompletableFuture<>();
      host.order = done;
    }
    if (!background(host.name, () -> runOrder(host, done))) {
      finish(host);
      done.completeExceptionally(new IssueException("berth is stopping"));
    }
    return done;
  }

  private void runOrder(Host host, CompletableFuture<HostStatus> done) {
    List<ChallengeKind> preferred;
    X509Certificate replacing;
    synchronized (host) {
      preferred = rotated(kinds, host.failures);
      replacing = host.current == null ? null : host.current.leaf();
    }
    try {
      Issuer.Issued issued = issuer.issue(host.name, preferred, replacing);
      CertificateFiles.Stored certificate =
          new CertificateFiles.Stored(issued.key(), issued.chain());
      try {
        files.save(host.name, issued.key(), issued.chain());
      } catch (IOException e) {
        say.accept(
            "acme: "
                + host.name
                + ": the new certificate cannot be stored ("
                + e.getMessage()
                + "); it serves until berth stops");
      }
      synchronized (host) {
        // A host no longer routed gets nothing put back into the store.
        if (host.removed || closed) {
          host.order = null;
          done.complete(status(host));
          return;
        }
        sink.install(host.name, issued.key().getPrivate(), issued.chain());
        host.current = certificate;
        host.failures = 0;
        host.lastError = null;
      }
      say.accept(
          "acme: "
              + host.name
              + ": certificate issued by "
              + issuerName(certificate.leaf())
              + ", valid until "
              + certificate.leaf().getNotAfter().toInstant());
      finish(host);
      planRenewal(host);
      done.complete(status(host));
    } catch (InterruptedException e) {
      // berth is stopping.
      finish(host);
      done.completeExceptionally(e);
    } catch (IssueException | RuntimeException e) {
      String reason = e.getMessage() == null ? e.toString() : e.getMessage();
      Instant retryAfter = e instanceof IssueException issue ? issue.retryAfter() : null;
      Instant retry;
      synchronized (host) {
        host.failures++;
        host.lastError = reason;
        retry = plan.retryAt(host.failures, clock.instant(), retryAfter);
      }
      say.accept(
          "acme: no certificate for " + host.name + ": " + reason + "; next try at " + retry);
      finish(host);
      schedule(host, retry, retry, false);
      done.completeExceptionally(
          e instanceof IssueException ? e : new IssueException(reason, null, e));
    }
  }

  private static void finish(Host host) {
    synchronized (host) {
      host.order = null;
    }
  }

  /** The preferred kinds, starting at the next one after each failure. */
  static List<ChallengeKind> rotated(List<ChallengeKind> kinds, int failures) {
    int shift = failures % kinds.size();
    List<ChallengeKind> order = new ArrayList<>(kinds.subList(shift, kinds.size()));
    order.addAll(kinds.subList(0, shift));
    return order;
  }

  /** Decides when the current certificate is renewed (from the CA's window, where it gives one). */
  private void planRenewal(Host host) {
    X509Certificate leaf;
    synchronized (host) {
      if (host.current == null) {
        return;
      }
      leaf = host.current.leaf();
    }
    Optional<RenewalPlan.Window> window;
    try {
      window = account.renewalWindow(leaf);
    } catch (AcmeException | IOException | RuntimeException e) {
      LOG.log(
          System.Logger.Level.DEBUG,
          "acme: {0}: no renewal information ({1}); renewing at two thirds",
          host.name,
          e.getMessage());
      window = Optional.empty();
    }
    Instant now = clock.instant();
    Instant renewAt =
        window
            .map(w -> plan.renewAt(w, now))
            .orElseGet(
                () ->
                    plan.renewAt(
                        leaf.getNotBefore().toInstant(), leaf.getNotAfter().toInstant(), now));
    schedule(
        host, renewAt, RenewalPlan.wakeAt(renewAt, window.isPresent(), now), window.isPresent());
  }

  private void schedule(Host host, Instant renewAt, Instant wakeAt, boolean renewalInfo) {
    synchronized (host) {
      if (host.removed || closed) {
        return;
      }
      cancelWake(host);
      host.nextRenewal = renewAt;
      host.renewalInfo = renewalInfo;
      long delay = Math.max(0, Duration.between(clock.instant(), wakeAt).toMillis());
      try {
        host.wake =
            timers.schedule(
                () -> background(host.name, () -> wake(host)), delay, TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException e) {
        // Closed meanwhile: nothing more is planned.
      }
    }
  }

  private void wake(Host host) {
    boolean due;
    boolean renewalInfo;
    Instant renewAt;
    synchronized (host) {
      if (host.removed || closed || host.order != null) {
        return;
      }
      renewAt = host.nextRenewal;
      renewalInfo = host.renewalInfo;
      // A timer may fire a little before the clock says the time has come.
      due = renewAt == null || !clock.instant().plusSeconds(1).isBefore(renewAt);
    }
    if (due) {
      order(host);
    } else if (renewalInfo) {
      planRenewal(host);
    } else {
      schedule(host, renewAt, renewAt, false);
    }
  }

  private static void cancelWake(Host host) {
    if (host.wake != null) {
      host.wake.cancel(false);
      host.wake = null;
    }
  }

  /** Runs {@code work} on a virtual thread of its own; false when closed (it does not run). */
  private boolean background(String name, Runnable work) {
    if (closed) {
      return false;
    }
    Thread thread =
        Thread.ofVirtual()
            .name("berth-acme-" + name)
            .unstarted(
                () -> {
                  try {
                    work.run();
                  } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.ERROR, "acme: " + name + ": " + e, e);
                  } finally {
                    running.remove(Thread.currentThread());
                  }
                });
    running.add(thread);
    thread.start();
    return true;
  }

  /** The issuer's common name, or its whole name when it has none. */
  static String issuerName(X509Certificate certificate) {
    String name = certificate.getIssuerX500Principal().getName();
    try {
      for (Rdn rdn : new LdapName(name).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) {
          return rdn.getValue().toString();
        }
      }
    } catch (InvalidNameException e) {
      // The whole name, then.
    }
    return name;
  }

  /** Stops renewing: no more wake-ups; orders in progress are interrupted. Files stay. */
  @Override
  public void close() {
    closed = true;
    timers.shutdownNow();
    for (Thread thread : running) {
      thread.interrupt();
    }
  }
}
