package dev.berth.access;

import static java.util.Objects.requireNonNull;

import dev.berth.config.Cidr;
import dev.berth.config.Route;
import dev.berth.config.RouteAccess;
import java.net.InetAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The access rules of routes, applied to requests: deny, then allow (403), then the rate limit
 * (429), then the password (401). In that order, so that a denied or flooding client never costs a
 * bcrypt. One per edge: it keeps each route's token buckets, across reloads that leave the route's
 * rate_limit as it was, and the passwords that passed.
 */
public final class Gate {

  private final LongSupplier nanos;
  private final PasswordCheck passwords;

  /** By host, path and limit: a reload that keeps all three keeps the buckets. */
  private final Map<LimiterKey, RateLimiter> limiters = new ConcurrentHashMap<>();

  private record LimiterKey(String host, String path, RouteAccess.RateLimit limit) {}

  /** With the system's clock, and passwords checked on a pool of their own. */
  public Gate() {
    this(System::nanoTime, new LazyPool());
  }

  /**
   * @param nanos a monotonic clock in nanoseconds (a fake one in tests)
   * @param passwordChecks where bcrypt runs (a direct executor in tests)
   */
  public Gate(LongSupplier nanos, Executor passwordChecks) {
    this.nanos = requireNonNull(nanos, "nanos");
    this.passwords = new PasswordCheck(nanos, passwordChecks);
  }

  /**
   * What the route's rules say about a request. Cheap for a route without rules, and never blocks:
   * a password not checked recently comes back as {@link Verdict.Pending}.
   *
   * @param client the request's client as {@link ClientKeys#client} tells it (null: none)
   * @param authorization the request's Authorization field, or null
   */
  public Verdict check(Route route, InetAddress client, String authorization) {
    RouteAccess access = route.access();
    if (!access.guards()) {
      return Verdict.PASS;
    }
    if (!access.allow().isEmpty() || !access.deny().isEmpty() || access.rateLimit() != null) {
      if (Cidr.anyContains(access.deny(), client)
          || (!access.allow().isEmpty() && !Cidr.anyContains(access.allow(), client))) {
        return new Verdict.Forbidden();
      }
      if (access.rateLimit() != null) {
        long wait = limiter(route).take(ClientKeys.rateKey(client));
        if (wait > 0) {
          return new Verdict.TooManyRequests(
              Math.max(1, (wait + TimeUnit.SECONDS.toNanos(1) - 1) / TimeUnit.SECONDS.toNanos(1)));
        }
      }
    }
    if (access.basicAuth() != null) {
      return passwords.check(access.basicAuth(), authorization);
    }
    return Verdict.PASS;
  }

  private RateLimiter limiter(Route route) {
    LimiterKey key = new LimiterKey(route.host(), route.path(), route.access().rateLimit());
    RateLimiter limiter = limiters.get(key);
    if (limiter != null) {
      return limiter;
    }
    // A new route or limit (a reload): the limiters of routes gone, full again by now, go.
    limiters.values().removeIf(RateLimiter::idle);
    return limiters.computeIfAbsent(
        key, k -> new RateLimiter(k.limit(), nanos, RateLimiter.MAX_CLIENTS));
  }

  /** The password pool, made when the first password is checked: most configs have none. */
  private static final class LazyPool implements Executor {
    private volatile Executor pool;

    @Override
    public void execute(Runnable task) {
      Executor p = pool;
      if (p == null) {
        synchronized (this) {
          p = pool;
          if (p == null) {
            pool = p = PasswordCheck.pool();
          }
        }
      }
      p.execute(task);
    }
  }
}
