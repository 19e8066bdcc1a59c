package dev.berth.access;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.config.AccessLogSpec;
import dev.berth.config.Cidr;
import dev.berth.config.Route;
import dev.berth.config.RouteAccess;
import dev.berth.config.RouteLimits;
import dev.berth.config.TrustedProxies;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The verdicts of a route's rules, with a fake clock and the password checks run when asked. */
class GateTest {

  /** "secret" at cost 4: a real bcrypt, fast enough for a unit test. */
  static final String HASH = Passwords.hash("secret".getBytes(StandardCharsets.UTF_8), 4);

  private long now = 1_000_000_000L;
  private final List<Runnable> checks = new ArrayList<>();
  private Executor executor = checks::add;
  private final Gate gate = new Gate(() -> now, task -> executor.execute(task));

  private static final InetAddress LOCAL = address("127.0.0.1");

  @Test
  void aRouteWithoutRulesPasses() {
    assertThat(check(route(RouteAccess.NONE), LOCAL, null, null)).isSameAs(Verdict.PASS);
  }

  @Test
  void denyComesFirstThenOnlyTheAllowedPass() {
    RouteAccess rules =
        new RouteAccess(
            null, cidrs("10.0.0.0/8", "127.0.0.1"), cidrs("10.1.0.0/16"), null, Map.of());
    Route route = route(rules);
    assertThat(check(route, LOCAL, null, null)).isSameAs(Verdict.PASS);
    assertThat(check(route, address("10.2.3.4"), null, null)).isSameAs(Verdict.PASS);
    assertThat(check(route, address("10.1.3.4"), null, null)).isInstanceOf(Verdict.Forbidden.class);
    assertThat(check(route, address("192.0.2.1"), null, null))
        .isInstanceOf(Verdict.Forbidden.class);
    assertThat(check(route, address("::1"), null, null)).isInstanceOf(Verdict.Forbidden.class);
    assertThat(check(route, null, null, null)).isInstanceOf(Verdict.Forbidden.class);

    Route denyOnly = route(new RouteAccess(null, List.of(), cidrs("127.0.0.0/8"), null, Map.of()));
    assertThat(check(denyOnly, LOCAL, null, null)).isInstanceOf(Verdict.Forbidden.class);
    assertThat(check(denyOnly, address("192.0.2.1"), null, null)).isSameAs(Verdict.PASS);
  }

  @Test
  void behindATrustedProxyTheClientIsTheLastUntrustedForwardedAddress() {
    Route route = route(new RouteAccess(null, List.of(), cidrs("192.0.2.7"), null, Map.of()));
    TrustedProxies trusted = TrustedProxies.of(cidrs("127.0.0.1", "10.0.0.0/8"));
    assertThat(checkBehind(route, LOCAL, "192.0.2.7, 10.0.0.2", trusted))
        .isInstanceOf(Verdict.Forbidden.class);
    // A client's own claim before the first untrusted hop does not count.
    assertThat(checkBehind(route, LOCAL, "192.0.2.7, 198.51.100.1", trusted))
        .isSameAs(Verdict.PASS);
    // From a peer that is not trusted, the header is the client's word only.
    assertThat(checkBehind(route, address("198.51.100.1"), "192.0.2.7", trusted))
        .isSameAs(Verdict.PASS);
  }

  @Test
  void aRateLimitAnswers429WithTheSecondsUntilATokenComesBack() {
    Route route = route(limit(1, Duration.ofSeconds(10), 2));
    assertThat(check(route, LOCAL, null, null)).isSameAs(Verdict.PASS);
    assertThat(check(route, LOCAL, null, null)).isSameAs(Verdict.PASS);
    assertThat(check(route, LOCAL, null, null)).isEqualTo(new Verdict.TooManyRequests(10));
    now += TimeUnit.MILLISECONDS.toNanos(2500);
    assertThat(check(route, LOCAL, null, null)).isEqualTo(new Verdict.TooManyRequests(8));
    // Another client has its own bucket.
    assertThat(check(route, address("192.0.2.1"), null, null)).isSameAs(Verdict.PASS);
    now += TimeUnit.MILLISECONDS.toNanos(7500);
    assertThat(check(route, LOCAL, null, null)).isSameAs(Verdict.PASS);
    assertThat(check(route, LOCAL, null, null)).isEqualTo(new Verdict.TooManyRequests(10));
  }

  @Test
  void aShortWaitIsRoundedUpToOneSecond() {
    Route route = route(limit(10, Duration.ofSeconds(1), 1));
    assertThat(check(route, LOCAL, null, null)).isSameAs(Verdict.PASS);
    assertThat(check(route, LOCAL, null, null)).isEqualTo(new Verdict.TooManyRequests(1));
    now += TimeUnit.MILLISECONDS.toNanos(100);
    assertThat(check(route, LOCAL, null, null)).isSameAs(Verdict.PASS);
  }

  @Test
  void aReloadThatKeepsTheLimitKeepsTheBuckets() {
    assertThat(check(route(limit(1, Duration.ofMinutes(1), 1)), LOCAL, null, null))
        .isSameAs(Verdict.PASS);
    // Another Route record, equal in host, path and limit: what a reload makes.
    assertThat(check(route(limit(1, Duration.ofMinutes(1), 1)), LOCAL, null, null))
        .isInstanceOf(Verdict.TooManyRequests.class);
    assertThat(check(route(limit(2, Duration.ofMinutes(1), 1)), LOCAL, null, null))
        .isSameAs(Verdict.PASS);
  }

  @Test
  void aPasswordIsCheckedOffTheCallersThreadThenRemembered() {
    Route route = route(auth());
    assertThat(check(route, LOCAL, null, null)).isEqualTo(new Verdict.Unauthorized("Staging"));
    assertThat(check(route, LOCAL, null, basic("mallory", "secret")))
        .isEqualTo(new Verdict.Unauthorized("Staging"));
    assertThat(checks).isEmpty();

    Verdict first = check(route, LOCAL, null, basic("alice", "secret"));
    assertThat(first).isInstanceOf(Verdict.Pending.class);
    // A second request with the same new credentials waits for the same check.
    Verdict second = check(route, LOCAL, null, basic("alice", "secret"));
    assertThat(((Verdict.Pending) second).result()).isSameAs(((Verdict.Pending) first).result());
    assertThat(checks).hasSize(1);
    checks.remove(0).run();
    assertThat(result(first)).isSameAs(Verdict.PASS);

    assertThat(check(route, LOCAL, null, basic("alice", "secret"))).isSameAs(Verdict.PASS);
    now += PasswordCheck.REMEMBER_NANOS;
    assertThat(check(route, LOCAL, null, basic("alice", "secret")))
        .isInstanceOf(Verdict.Pending.class);
  }

  @Test
  void aWrongPasswordIsRefusedAndNotRemembered() {
    Route route = route(auth());
    Verdict wrong = check(route, LOCAL, null, basic("alice", "guess"));
    checks.remove(0).run();
    assertThat(result(wrong)).isEqualTo(new Verdict.Unauthorized("Staging"));
    assertThat(check(route, LOCAL, null, basic("alice", "guess")))
        .isInstanceOf(Verdict.Pending.class);
  }

  @Test
  void aFullPoolAnswersBusy() {
    executor =
        task -> {
          throw new RejectedExecutionException();
        };
    assertThat(check(route(auth()), LOCAL, null, basic("alice", "secret")))
        .isEqualTo(new Verdict.Busy(1));
  }

  @Test
  void theRateLimitComesBeforeThePassword() {
    RouteAccess rules =
        new RouteAccess(
            auth().basicAuth(),
            List.of(),
            List.of(),
            new RouteAccess.RateLimit(1, Duration.ofMinutes(1), 1),
            Map.of());
    Route route = route(rules);
    assertThat(check(route, LOCAL, null, null)).isInstanceOf(Verdict.Unauthorized.class);
    assertThat(check(route, LOCAL, null, basic("alice", "secret")))
        .isInstanceOf(Verdict.TooManyRequests.class);
    assertThat(checks).isEmpty();
  }

  private Verdict check(Route route, InetAddress peer, String forwardedFor, String authorization) {
    return gate.check(
        route, ClientKeys.client(peer, false, forwardedFor, TrustedProxies.NONE), authorization);
  }

  private Verdict checkBehind(
      Route route, InetAddress peer, String forwardedFor, TrustedProxies trusted) {
    return gate.check(route, ClientKeys.client(peer, false, forwardedFor, trusted), null);
  }

  private static Verdict result(Verdict pending) {
    CompletableFuture<Verdict> future = ((Verdict.Pending) pending).result().toCompletableFuture();
    assertThat(future).isDone();
    return future.join();
  }

  static String basic(String user, String password) {
    return "Basic "
        + Base64.getEncoder()
            .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  private static RouteAccess auth() {
    return new RouteAccess(
        new RouteAccess.BasicAuth(Path.of("/srv/users"), "Staging", Map.of("alice", HASH)),
        List.of(),
        List.of(),
        null,
        Map.of());
  }

  private static RouteAccess limit(int requests, Duration per, int burst) {
    return new RouteAccess(
        null, List.of(), List.of(), new RouteAccess.RateLimit(requests, per, burst), Map.of());
  }

  private static Route route(RouteAccess access) {
    return new Route(
        "",
        "/",
        new Route.AppTarget("web"),
        false,
        new RouteLimits(1024, Duration.ofSeconds(1), Duration.ofSeconds(1)),
        new AccessLogSpec(false, Path.of("/dev/null"), AccessLogSpec.Format.COMBINED),
        access,
        1,
        "");
  }

  private static List<Cidr> cidrs(String... blocks) {
    return java.util.Arrays.stream(blocks).map(Cidr::parse).toList();
  }

  static InetAddress address(String literal) {
    try {
      return InetAddress.getByAddress(Cidr.parse(literal).network());
    } catch (java.net.UnknownHostException e) {
      throw new AssertionError(e);
    }
  }
}
