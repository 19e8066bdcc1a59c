package dev.berth.tls;

import static java.util.Objects.requireNonNull;

import dev.berth.config.TlsSettings.UnknownNames;
import io.netty.handler.ssl.SslContext;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The certificates of one or more TLS listeners: by host (exact names, and wildcards covering one
 * label), a default one, and TLS-ALPN-01 challenge certificates. Each handshake reads the table
 * once; a change replaces the whole table in one write, so certificates swap in without closing a
 * connection (a connection keeps the certificate it shook hands with).
 *
 * <p>The ACME part calls {@link #put}, {@link #remove}, {@link #offerAlpnChallenge} and {@link
 * #withdrawAlpnChallenge}, from any thread.
 */
public final class CertificateStore {

  /**
   * One certificate as served.
   *
   * @param context the TLS context that presents it
   * @param chain leaf first
   * @param placeholder a self-signed stand-in (tls = "acme" before issuance)
   */
  record Entry(SslContext context, List<X509Certificate> chain, boolean placeholder) {
    Entry {
      requireNonNull(context, "context");
      chain = List.copyOf(chain);
    }
  }

  /** Immutable; replaced whole. Wildcards are keyed by the parent they cover. */
  private record Table(
      Map<String, Entry> exact,
      Map<String, Entry> wildcard,
      Entry fallback,
      Map<String, SslContext> challenges) {

    Entry find(String host) {
      Entry entry = exact.get(host);
      if (entry != null) {
        return entry;
      }
      String parent = HostNames.parentOf(host);
      return parent == null ? null : wildcard.get(parent);
    }
  }

  private final ServerContexts contexts;
  private volatile UnknownNames unknownNames;
  private final AtomicReference<Table> table;

  CertificateStore(ServerContexts contexts, UnknownNames unknownNames, Entry fallback) {
    this.contexts = requireNonNull(contexts, "contexts");
    this.unknownNames = requireNonNull(unknownNames, "unknownNames");
    this.table = new AtomicReference<>(new Table(Map.of(), Map.of(), fallback, Map.of()));
  }

  /**
   * Serves {@code chain} (leaf first, then intermediates) for {@code host}: an exact name, or a
   * wildcard "*.example.com". Replaces what served it; handshakes from now on get it.
   *
   * @throws IllegalArgumentException when the key and chain do not make a TLS context
   */
  public void put(String host, PrivateKey key, X509Certificate[] chain) {
    requireNonNull(host, "host");
    requireNonNull(key, "key");
    requireNonNull(chain, "chain");
    if (chain.length == 0) {
      throw new IllegalArgumentException("empty chain for " + host);
    }
    put(host, entry(key, List.of(chain), false));
  }

  /** Stops serving a certificate for {@code host}: its handshakes get the default (or none). */
  public synchronized void remove(String host) {
    requireNonNull(host, "host");
    String name = HostNames.normalize(host);
    Table t = table.get();
    Map<String, Entry> exact = new HashMap<>(t.exact());
    Map<String, Entry> wildcard = new HashMap<>(t.wildcard());
    String parent = HostNames.wildcardParent(name);
    if (parent != null) {
      wildcard.remove(parent);
    } else {
      exact.remove(name);
    }
    table.set(new Table(Map.copyOf(exact), Map.copyOf(wildcard), t.fallback(), t.challenges()));
  }

  /**
   * Answers a TLS-ALPN-01 challenge (RFC 8737): a handshake for {@code host} that offers ALPN
   * "acme-tls/1" gets {@code certificate} (with the acmeIdentifier extension the CA asked for) and
   * that protocol; every other handshake for the host goes on as before.
   */
  public synchronized void offerAlpnChallenge(
      String host, PrivateKey key, X509Certificate certificate) {
    requireNonNull(host, "host");
    requireNonNull(key, "key");
    requireNonNull(certificate, "certificate");
    SslContext context = contexts.challenge(key, certificate);
    Table t = table.get();
    Map<String, SslContext> challenges = new HashMap<>(t.challenges());
    challenges.put(HostNames.normalize(host), context);
    table.set(new Table(t.exact(), t.wildcard(), t.fallback(), Map.copyOf(challenges)));
  }

  /** Ends what {@link #offerAlpnChallenge} began for {@code host}. */
  public synchronized void withdrawAlpnChallenge(String host) {
    requireNonNull(host, "host");
    Table t = table.get();
    Map<String, SslContext> challenges = new HashMap<>(t.challenges());
    if (challenges.remove(HostNames.normalize(host)) != null) {
      table.set(new Table(t.exact(), t.wildcard(), t.fallback(), Map.copyOf(challenges)));
    }
  }

  /** The chain served for {@code host} now (its own, or a wildcard's), leaf first. */
  public Optional<List<X509Certificate>> chain(String host) {
    requireNonNull(host, "host");
    Entry entry = table.get().find(HostNames.normalize(host));
    return entry == null ? Optional.empty() : Optional.of(entry.chain());
  }

  /**
   * Whether {@code host} is served a self-signed placeholder (or nothing) rather than a real one.
   */
  public boolean placeholder(String host) {
    Entry entry = table.get().find(HostNames.normalize(requireNonNull(host, "host")));
    return entry == null || entry.placeholder();
  }

  // ---- for the listeners ----

  Entry entry(PrivateKey key, List<X509Certificate> chain, boolean placeholder) {
    return new Entry(contexts.serving(key, chain), chain, placeholder);
  }

  synchronized void put(String host, Entry entry) {
    String name = HostNames.normalize(host);
    Table t = table.get();
    Map<String, Entry> exact = new HashMap<>(t.exact());
    Map<String, Entry> wildcard = new HashMap<>(t.wildcard());
    String parent = HostNames.wildcardParent(name);
    if (parent != null) {
      wildcard.put(parent, entry);
    } else {
      exact.put(name, entry);
    }
    table.set(new Table(Map.copyOf(exact), Map.copyOf(wildcard), t.fallback(), t.challenges()));
  }

  /**
   * Replaces every certificate but the challenges with {@code byName} and {@code fallback} (files
   * read again at a reload).
   */
  synchronized void replaceAll(Map<String, Entry> byName, Entry fallback) {
    Map<String, Entry> exact = new HashMap<>();
    Map<String, Entry> wildcard = new HashMap<>();
    byName.forEach(
        (name, entry) -> {
          String parent = HostNames.wildcardParent(name);
          if (parent != null) {
            wildcard.putIfAbsent(parent, entry);
          } else {
            exact.putIfAbsent(name, entry);
          }
        });
    table.set(
        new Table(Map.copyOf(exact), Map.copyOf(wildcard), fallback, table.get().challenges()));
  }

  /** A reload's [tls] unknown_names, for handshakes from now on. */
  void unknownNames(UnknownNames policy) {
    this.unknownNames = requireNonNull(policy, "policy");
  }

  /** Whether a certificate of this store names {@code host} (the default aside). */
  boolean covers(String host) {
    return table.get().find(HostNames.normalize(host)) != null;
  }

  /** The names with a certificate of their own, exact and wildcard. */
  List<String> names() {
    Table t = table.get();
    List<String> names = new java.util.ArrayList<>(t.exact().keySet());
    t.wildcard().keySet().forEach(parent -> names.add("*." + parent));
    return names;
  }

  /**
   * The context for a handshake that asked for {@code host} (null: no SNI), offering "acme-tls/1"
   * or not; null when the handshake is to be refused.
   */
  SslContext select(String host, boolean acmeTls) {
    Table t = table.get();
    String name = host == null ? null : HostNames.normalize(host);
    if (acmeTls && name != null) {
      SslContext challenge = t.challenges().get(name);
      if (challenge != null) {
        return challenge;
      }
    }
    Entry entry = name == null ? null : t.find(name);
    if (entry != null) {
      return entry.context();
    }
    if (unknownNames == UnknownNames.REFUSE || t.fallback() == null) {
      return null;
    }
    return t.fallback().context();
  }

  ServerContexts contexts() {
    return contexts;
  }
}
