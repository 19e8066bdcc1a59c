package dev.berth.config;

import static java.util.Objects.requireNonNull;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * What berth itself decides for a route's requests, around the app or files: who may ask (allow,
 * deny, basic_auth), how often (rate_limit), and the pages it answers with when it cannot reach the
 * app (the app's error_pages). Read at load, files included, so that a reload compares contents.
 *
 * @param basicAuth the users who may ask, or null for anyone
 * @param allow when not empty, only clients in these blocks pass (after deny)
 * @param deny clients in these blocks get a 403
 * @param rateLimit requests per client address, or null for no limit
 * @param errorPages for an app route, the app's pages for berth's own 502/503/504; empty otherwise
 */
public record RouteAccess(
    BasicAuth basicAuth,
    List<Cidr> allow,
    List<Cidr> deny,
    RateLimit rateLimit,
    Map<Integer, ErrorPage> errorPages) {

  /** No rule, no page: every request passes, and berth's own error pages are used. */
  public static final RouteAccess NONE =
      new RouteAccess(null, List.of(), List.of(), null, Map.of());

  public RouteAccess {
    allow = List.copyOf(allow);
    deny = List.copyOf(deny);
    errorPages = Map.copyOf(errorPages);
  }

  /** Whether any request may be refused here: false lets the edge skip the checks at once. */
  public boolean guards() {
    return basicAuth != null || !allow.isEmpty() || !deny.isEmpty() || rateLimit != null;
  }

  /** The same rules with {@code pages} as the route's error pages. */
  RouteAccess withErrorPages(Map<Integer, ErrorPage> pages) {
    return new RouteAccess(basicAuth, allow, deny, rateLimit, pages);
  }

  /**
   * HTTP Basic authentication against an htpasswd file.
   *
   * @param usersFile the file (absolute), for messages
   * @param realm shown by browsers in their password prompt
   * @param users user name to its bcrypt hash ($2y$, $2b$ or $2a$), as the file had them at load
   */
  public record BasicAuth(Path usersFile, String realm, Map<String, String> users) {
    public BasicAuth {
      requireNonNull(usersFile, "usersFile");
      requireNonNull(realm, "realm");
      users = Map.copyOf(users);
    }
  }

  /**
   * A token bucket per client address: {@code burst} requests at once, refilled at {@code requests}
   * per {@code per}.
   */
  public record RateLimit(int requests, Duration per, int burst) {
    public RateLimit {
      requireNonNull(per, "per");
      if (requests < 1 || burst < 1 || per.isNegative() || per.isZero()) {
        throw new IllegalArgumentException("requests, burst and per must be positive");
      }
    }

    /** The time one token takes to come back, in nanoseconds (at least 1). */
    public long intervalNanos() {
      return Math.max(1, per.toNanos() / requests);
    }
  }

  /**
   * A page berth answers with instead of its own, as read at load.
   *
   * @param file where it was read from (absolute), for messages
   */
  public record ErrorPage(Path file, byte[] body) {
    /** The largest page berth keeps in memory. */
    public static final int MAX_BYTES = 1 << 20;

    public ErrorPage {
      requireNonNull(file, "file");
      body = body.clone();
    }

    /** A copy: the record's own bytes must not change under it. */
    @Override
    public byte[] body() {
      return body.clone();
    }

    /** The page as a read-only view: a response sends it without a copy. */
    public ByteBuffer bytes() {
      return ByteBuffer.wrap(body).asReadOnlyBuffer();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof ErrorPage other
          && file.equals(other.file)
          && Arrays.equals(body, other.body);
    }

    @Override
    public int hashCode() {
      return 31 * file.hashCode() + Arrays.hashCode(body);
    }

    @Override
    public String toString() {
      return "ErrorPage[" + file + ", " + body.length + " bytes]";
    }
  }
}
