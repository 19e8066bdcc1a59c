package dev.berth.access;

import static java.util.Objects.requireNonNull;

import dev.berth.config.RouteAccess.BasicAuth;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * Checks Basic credentials against a route's users. bcrypt costs 0.1 s or more of a core, far too
 * long for an event loop (one loop serves thousands of connections), so a password is checked on a
 * small pool of its own ({@link Verdict.Pending}), and a password that passed is remembered for a
 * while, so that a browser's next requests pass at once. What is remembered is a salted SHA-256 of
 * the stored hash, the user and the password, never the password; a changed hash (a new file at
 * reload) no longer matches. Wrong passwords are not remembered: an attacker could fill the memory
 * with them, and each one costs the same bcrypt whatever is cached (rate_limit bounds how many).
 */
final class PasswordCheck {

  /** How long a password that passed is taken without bcrypt again. */
  static final long REMEMBER_NANOS = TimeUnit.MINUTES.toNanos(5);

  static final int MAX_REMEMBERED = 4096;

  /** Passwords waiting for a thread; past this a request gets a 503 rather than a long wait. */
  static final int MAX_WAITING = 64;

  private final LongSupplier nanos;
  private final Executor executor;
  private final byte[] salt = new byte[16];

  /** Digest of hash, user and password to when it stops being taken. */
  private final Map<Key, Long> passed = new ConcurrentHashMap<>();

  /** Checks in progress, so that a browser's parallel requests with new credentials share one. */
  private final Map<Key, CompletableFuture<Verdict>> checking = new ConcurrentHashMap<>();

  /** A digest, as two halves of its first 16 bytes. */
  private record Key(long high, long low) {}

  PasswordCheck(LongSupplier nanos, Executor executor) {
    this.nanos = requireNonNull(nanos, "nanos");
    this.executor = requireNonNull(executor, "executor");
    new SecureRandom().nextBytes(salt);
  }

  /** The pool berth's edge checks passwords on: half the cores, threads gone when idle. */
  static Executor pool() {
    int threads = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
    AtomicInteger n = new AtomicInteger();
    ThreadPoolExecutor pool =
        new ThreadPoolExecutor(
            threads,
            threads,
            30,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(MAX_WAITING),
            r -> {
              Thread t = new Thread(r, "berth-bcrypt-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  Verdict check(BasicAuth auth, String authorization) {
    Verdict.Unauthorized refused = new Verdict.Unauthorized(auth.realm());
    Credentials credentials = Credentials.parse(authorization);
    if (credentials == null) {
      return refused;
    }
    String hash = auth.users().get(credentials.user());
    if (hash == null) {
      // No bcrypt for an unknown user: nginx answers it at once too.
      return refused;
    }
    Key key = key(hash, credentials);
    Long until = passed.get(key);
    long now = nanos.getAsLong();
    if (until != null && until - now > 0) {
      return Verdict.PASS;
    }
    CompletableFuture<Verdict> started = new CompletableFuture<>();
    CompletableFuture<Verdict> running = checking.putIfAbsent(key, started);
    if (running != null) {
      return new Verdict.Pending(running);
    }
    try {
      executor.execute(
          () -> {
            Verdict verdict;
            try {
              verdict = Passwords.matches(hash, credentials.password()) ? Verdict.PASS : refused;
              if (verdict == Verdict.PASS) {
                remember(key);
              }
            } catch (RuntimeException e) {
              verdict = refused;
            }
            checking.remove(key);
            started.complete(verdict);
          });
    } catch (RejectedExecutionException e) {
      checking.remove(key);
      started.complete(new Verdict.Busy(1));
      return new Verdict.Busy(1);
    }
    return new Verdict.Pending(started);
  }

  private void remember(Key key) {
    long now = nanos.getAsLong();
    if (passed.size() >= MAX_REMEMBERED) {
      passed.values().removeIf(until -> until - now <= 0);
      if (passed.size() >= MAX_REMEMBERED) {
        // Only passwords that passed are here: so many users means a site that can afford a
        // bcrypt each now and then.
        passed.clear();
      }
    }
    passed.put(key, now + REMEMBER_NANOS);
  }

  private Key key(String hash, Credentials credentials) {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    sha.update(salt);
    sha.update(hash.getBytes(StandardCharsets.US_ASCII));
    sha.update((byte) 0);
    sha.update(credentials.user().getBytes(StandardCharsets.UTF_8));
    sha.update((byte) 0);
    sha.update(credentials.password());
    byte[] d = sha.digest();
    long high = 0;
    long low = 0;
    for (int i = 0; i < 8; i++) {
      high = high << 8 | (d[i] & 0xff);
      low = low << 8 | (d[i + 8] & 0xff);
    }
    return new Key(high, low);
  }
}
