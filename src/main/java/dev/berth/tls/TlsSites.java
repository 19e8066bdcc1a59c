package dev.berth.tls;

import static java.util.Objects.requireNonNull;

import dev.berth.config.CertificateFiles;
import dev.berth.config.Config;
import dev.berth.config.Listener;
import dev.berth.config.ListenerTls;
import dev.berth.config.Route;
import dev.berth.config.TlsSettings;
import io.netty.channel.ChannelHandler;
import java.io.IOException;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The TLS side of a running config: one {@link CertificateStore} per TLS listener (shared by every
 * {@code tls = "acme"} listener, and by every {@code tls = "internal"} one), what each listener's
 * connections start with, and which hosts a plain listener sends to https. A reload reads the
 * certificate files again and gives new hosts their certificates, without closing a connection.
 */
public final class TlsSites {

  /** How long a client has to send its ClientHello. */
  private static final long HELLO_TIMEOUT_MILLIS = 10_000;

  /** A placeholder is replaced long before this; it only has to be a valid certificate. */
  private static final Duration PLACEHOLDER_VALIDITY = Duration.ofDays(90);

  /** Made when a TLS listener first needs it: a plain berth never loads OpenSSL. */
  private final java.util.function.Supplier<ServerContexts> makeContexts;

  private ServerContexts contexts;
  private final Path stateDir;
  private CertificateStore acme;
  private CertificateStore internal;
  private InternalCa ca;
  private volatile Map<Listener, CertificateStore> stores = Map.of();

  /**
   * Stores of listeners a reload removed: such a listener still accepts until the reload's last
   * steps unbind it, and its connections still shake hands.
   */
  private volatile Map<Listener, CertificateStore> retired = Map.of();

  private volatile String hsts = "";

  private TlsSites(java.util.function.Supplier<ServerContexts> contexts, Path stateDir) {
    this.makeContexts = requireNonNull(contexts, "contexts");
    this.stateDir = requireNonNull(stateDir, "stateDir");
  }

  /**
   * The stores of {@code config}'s TLS listeners, filled: certificate files read, the internal CA
   * loaded or made (and its leaves), placeholders for the ACME hosts.
   *
   * @throws IOException when the internal CA's files cannot be read or written, or a certificate
   *     file no longer reads as {@code berth check} found it
   */
  public static TlsSites of(Config config) throws IOException {
    return of(config, ServerContexts::best);
  }

  /** As {@link #of(Config)}, with the contexts {@code contexts} makes (tests: the JDK's). */
  static TlsSites of(Config config, java.util.function.Supplier<ServerContexts> contexts)
      throws IOException {
    TlsSites sites = new TlsSites(contexts, config.stateDir());
    sites.apply(config);
    return sites;
  }

  /**
   * Applies {@code next} (a reload): files read again, new hosts get certificates, hosts no longer
   * routed lose theirs. A failure leaves everything as it was.
   */
  public synchronized void reload(Config next) throws IOException {
    apply(requireNonNull(next, "next"));
  }

  private synchronized void apply(Config config) throws IOException {
    TlsSettings settings = config.tls();
    if (contexts == null && config.listeners().stream().anyMatch(Listener::secure)) {
      contexts = makeContexts.get();
    }
    Set<String> hosts = routedHosts(config.routes());
    Map<Listener, CertificateStore> next = new LinkedHashMap<>();
    // Files first: a bad file fails the reload before anything shared changed.
    Map<Listener, Files> files = new LinkedHashMap<>();
    for (Listener listener : config.listeners()) {
      if (listener.tls() instanceof ListenerTls.Files f) {
        files.put(listener, read(f));
      }
    }
    for (Listener listener : config.listeners()) {
      switch (listener.tls()) {
        case ListenerTls.Plain plain -> {}
        case ListenerTls.Files f -> {
          CertificateStore store = stores.get(listener);
          if (store == null) {
            store = new CertificateStore(contexts, settings.unknownNames(), null);
          }
          files.get(listener).fill(store);
          next.put(listener, store);
        }
        case ListenerTls.Internal i -> next.put(listener, internal(config, hosts));
        case ListenerTls.Acme a -> next.put(listener, acme(settings, hosts));
      }
    }
    next.values().forEach(store -> store.unknownNames(settings.unknownNames()));
    Map<Listener, CertificateStore> gone = new LinkedHashMap<>(retired);
    stores.forEach(gone::putIfAbsent);
    next.keySet().forEach(gone::remove);
    retired = java.util.Collections.unmodifiableMap(gone);
    // In the config's order: a plain request goes to the first TLS listener that covers its host.
    stores = java.util.Collections.unmodifiableMap(next);
    hsts = settings.hsts();
    if (!next.isEmpty()) {
      contexts.tickets().start();
    }
  }

  /** Exact and wildcard hosts the routes name; "*" (any host) is none. */
  static Set<String> routedHosts(List<Route> routes) {
    Set<String> hosts = new LinkedHashSet<>();
    for (Route route : routes) {
      if (!route.host().isEmpty()) {
        hosts.add(HostNames.normalize(route.host()));
      }
    }
    return hosts;
  }

  /** A listener's files, read: each pair's entry by the names in its certificate. */
  private record Files(List<CertificateFiles.Pair> pairs) {
    void fill(CertificateStore store) {
      Map<String, CertificateStore.Entry> byName = new LinkedHashMap<>();
      CertificateStore.Entry first = null;
      for (CertificateFiles.Pair pair : pairs) {
        CertificateStore.Entry entry = store.entry(pair.key(), pair.chain(), false);
        if (first == null) {
          first = entry;
        }
        for (String name : HostNames.of(pair.leaf())) {
          byName.putIfAbsent(name, entry);
        }
      }
      store.replaceAll(byName, first);
    }
  }

  private static Files read(ListenerTls.Files files) throws IOException {
    List<CertificateFiles.Pair> pairs = new ArrayList<>();
    for (ListenerTls.CertificateFile file : files.pairs()) {
      try {
        pairs.add(CertificateFiles.read(file.certificate(), file.key(), Instant.now()));
      } catch (CertificateFiles.Problem p) {
        throw new IOException(
            (p.ofKey() ? file.key() : file.certificate()) + ": " + p.getMessage());
      }
    }
    return new Files(pairs);
  }

  private CertificateStore internal(Config config, Set<String> hosts) throws IOException {
    if (ca == null) {
      ca = InternalCa.in(stateDir.resolve("certs").resolve("internal"));
    }
    if (internal == null) {
      List<String> names = defaultNames(config);
      CertificateFiles.Pair leaf = ca.issue(names);
      internal =
          new CertificateStore(
              contexts,
              config.tls().unknownNames(),
              new CertificateStore.Entry(
                  contexts.serving(leaf.key(), leaf.chain()), leaf.chain(), false));
    }
    Set<String> have = new LinkedHashSet<>(internal.names());
    for (String host : hosts) {
      if (!have.contains(host)) {
        CertificateFiles.Pair leaf = ca.issue(List.of(host));
        internal.put(host, internal.entry(leaf.key(), leaf.chain(), false));
      }
    }
    have.stream().filter(h -> !hosts.contains(h)).forEach(internal::remove);
    return internal;
  }

  /** The internal default's names: localhost, the loopback addresses, the listeners' hosts. */
  private static List<String> defaultNames(Config config) {
    Set<String> names = new LinkedHashSet<>(List.of("localhost", "127.0.0.1", "::1"));
    for (Listener listener : config.listeners()) {
      String host = listener.host();
      if (listener.tls() instanceof ListenerTls.Internal
          && !host.isEmpty()
          && !host.equals("0.0.0.0")
          && !host.equals("::")
          && !host.equals("*")) {
        names.add(HostNames.normalize(host));
      }
    }
    return List.copyOf(names);
  }

  private CertificateStore acme(TlsSettings settings, Set<String> hosts) {
    if (acme == null) {
      KeyPair pair = Certificates.newKeyPair();
      var certificate = Certificates.selfSigned(pair, List.of(), PLACEHOLDER_VALIDITY);
      acme =
          new CertificateStore(
              contexts,
              settings.unknownNames(),
              new CertificateStore.Entry(
                  contexts.serving(pair.getPrivate(), List.of(certificate)),
                  List.of(certificate),
                  true));
    }
    Set<String> have = new LinkedHashSet<>(acme.names());
    for (String host : hosts) {
      // Wildcards need a DNS challenge, which berth does not do: they get the default.
      if (HostNames.wildcardParent(host) == null && !have.contains(host)) {
        acme.put(host, placeholder(host));
      }
    }
    have.stream().filter(h -> !hosts.contains(h)).forEach(acme::remove);
    return acme;
  }

  private CertificateStore.Entry placeholder(String host) {
    KeyPair pair = Certificates.newKeyPair();
    var certificate = Certificates.selfSigned(pair, List.of(host), PLACEHOLDER_VALIDITY);
    return acme.entry(pair.getPrivate(), List.of(certificate), true);
  }

  // ---- what others use ----

  /**
   * The store of the {@code tls = "acme"} listeners, where the ACME part puts what it is issued and
   * answers TLS-ALPN-01; null when no listener is one.
   */
  public synchronized CertificateStore acme() {
    return stores.values().contains(acme) ? acme : null;
  }

  /**
   * The hosts the ACME part is to get certificates for: every exact host the routes name, when a
   * {@code tls = "acme"} listener serves them; none otherwise.
   */
  public static List<String> acmeHosts(Config config) {
    if (config.listeners().stream().noneMatch(l -> l.tls() instanceof ListenerTls.Acme)) {
      return List.of();
    }
    return routedHosts(config.routes()).stream()
        .filter(h -> HostNames.wildcardParent(h) == null)
        .toList();
  }

  /** The store of {@code listener}, or null for a plain one. */
  CertificateStore store(Listener listener) {
    return stores.get(listener);
  }

  /** The internal CA's root certificate file, when a listener uses it. */
  public synchronized Path internalRoot() {
    return ca == null || !stores.values().contains(internal) ? null : ca.rootFile();
  }

  /** "TLS by BoringSSL" or "TLS by the JDK", for the start line; "" with no TLS listener. */
  public synchronized String describe() {
    return contexts == null ? "" : contexts.describe();
  }

  /**
   * The first handler of a connection to {@code listener}: it picks the certificate and becomes the
   * TLS handler; null for a plain listener.
   */
  public ChannelHandler handshake(Listener listener) {
    if (!listener.secure()) {
      return null;
    }
    CertificateStore store = stores.get(listener);
    if (store == null) {
      store = retired.get(listener);
    }
    return store == null ? null : new CertificatePicker(store, HELLO_TIMEOUT_MILLIS);
  }

  /**
   * Where a plain request for {@code host} (no port) is sent: "host" or "host:port" of the first
   * TLS listener that has a certificate naming it, or null when none has.
   */
  public String httpsAuthority(String host) {
    if (host == null || host.isEmpty() || stores.isEmpty()) {
      return null;
    }
    String name = HostNames.normalize(host);
    for (Map.Entry<Listener, CertificateStore> entry : stores.entrySet()) {
      if (entry.getValue().covers(name)) {
        int port = entry.getKey().port();
        return port == 443 ? name : name + ":" + port;
      }
    }
    return null;
  }

  /** Whether any listener is a TLS one: else no plain request is ever redirected. */
  public boolean redirects() {
    return !stores.isEmpty();
  }

  /** The [tls] hsts value ("" for none): what responses that no route matched get. */
  public String hsts() {
    return hsts;
  }

  /** Stops rotating session ticket keys. */
  public synchronized void close() {
    if (contexts != null) {
      contexts.tickets().stop();
    }
  }

  @Override
  public String toString() {
    return "TlsSites" + stores.keySet();
  }
}
