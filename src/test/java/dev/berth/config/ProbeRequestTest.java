package dev.berth.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What berth's probes send: the Host and prefix fields of a request routed to the app's first
 * route, and which statuses count.
 */
class ProbeRequestTest {

  private static final App.HealthCheck HEALTH =
      new App.HealthCheck("/health", Duration.ofSeconds(10), Duration.ofSeconds(2));

  private static Route route(String host, String path, String app, boolean strip) {
    return new Route(
        host,
        path,
        new Route.AppTarget(app),
        strip,
        new RouteLimits(1024, Duration.ofSeconds(5), Duration.ofSeconds(60)),
        new AccessLogSpec(false, Path.of("/dev/null"), AccessLogSpec.Format.COMBINED),
        1);
  }

  private static String field(ProbeRequest request, String name) {
    return request.fields().stream()
        .filter(f -> f.name().equals(name))
        .map(ProbeRequest.Field::value)
        .findFirst()
        .orElse(null);
  }

  @Test
  void withoutRoutesOrAHealthCheckItIsGetOfTheRootOnLocalhost() {
    ProbeRequest request = ProbeRequest.of(null, App.Mount.ROOT);
    assertThat(request.target()).isEqualTo("/");
    assertThat(request.fields())
        .containsExactly(
            new ProbeRequest.Field("Host", "localhost"),
            new ProbeRequest.Field("X-Forwarded-For", "127.0.0.1"),
            new ProbeRequest.Field("X-Forwarded-Proto", "http"),
            new ProbeRequest.Field("X-Forwarded-Host", "localhost"));
  }

  @Test
  void theHostIsTheFirstRouteThatNamesAnExactOne() {
    List<Route> routes =
        List.of(
            route("", "/", "web", false),
            route("*.example.com", "/", "web", false),
            route("other.example.com", "/", "other", false),
            route("www.example.com", "/", "web", false),
            route("example.com", "/", "web", false));
    App.Mount mount = App.Mount.of("web", routes);
    assertThat(mount).isEqualTo(new App.Mount("www.example.com", "", false));
    ProbeRequest request = ProbeRequest.of(HEALTH, mount);
    assertThat(field(request, "Host")).isEqualTo("www.example.com");
    assertThat(field(request, "X-Forwarded-Host")).isEqualTo("www.example.com");
    assertThat(request.target()).isEqualTo("/health");
  }

  @Test
  void healthCheckHostWinsOverTheRoutes() {
    App.HealthCheck check =
        new App.HealthCheck("/health", "internal.example", Duration.ofSeconds(1), Duration.ZERO);
    ProbeRequest request = ProbeRequest.of(check, new App.Mount("www.example.com", "", false));
    assertThat(field(request, "Host")).isEqualTo("internal.example");
  }

  @Test
  void underAPrefixTheTargetIsTheFullPathWithScriptName() {
    App.Mount mount = App.Mount.of("blog", List.of(route("", "/blog", "blog", false)));
    ProbeRequest root = ProbeRequest.of(null, mount);
    assertThat(root.target()).isEqualTo("/blog/");
    assertThat(field(root, "SCRIPT_NAME")).isEqualTo("/blog");
    assertThat(field(root, "X-Forwarded-Prefix")).isEqualTo("/blog");
    assertThat(ProbeRequest.of(HEALTH, mount).target()).isEqualTo("/blog/health");
  }

  @Test
  void aStrippedPrefixIsNamedButNotInThePath() {
    App.Mount mount = App.Mount.of("blog", List.of(route("", "/blog", "blog", true)));
    ProbeRequest request = ProbeRequest.of(HEALTH, mount);
    assertThat(request.target()).isEqualTo("/health");
    assertThat(field(request, "X-Forwarded-Prefix")).isEqualTo("/blog");
    assertThat(field(request, "SCRIPT_NAME")).isNull();
  }

  @Test
  void thePrefixIsTheFirstRoutes() {
    App.Mount mount =
        App.Mount.of(
            "blog",
            List.of(
                route("blog.example.com", "/", "blog", false), route("", "/blog", "blog", true)));
    assertThat(mount).isEqualTo(new App.Mount("blog.example.com", "", false));
  }

  @Test
  void withoutAHealthCheckAnythingBelow500Counts() {
    ProbeRequest request = ProbeRequest.of(null, App.Mount.ROOT);
    assertThat(request.accepts(200)).isTrue();
    assertThat(request.accepts(302)).isTrue();
    assertThat(request.accepts(404)).isTrue();
    assertThat(request.accepts(400)).isTrue();
    assertThat(request.accepts(500)).isFalse();
    assertThat(request.accepts(503)).isFalse();
    assertThat(request.accepts(100)).isFalse();
    assertThat(request.describe()).isEqualTo("GET /");
  }

  @Test
  void aHealthCheckNeeds2xxOr3xx() {
    ProbeRequest request = ProbeRequest.of(HEALTH, App.Mount.ROOT);
    assertThat(request.accepts(204)).isTrue();
    assertThat(request.accepts(301)).isTrue();
    assertThat(request.accepts(404)).isFalse();
    assertThat(request.accepts(500)).isFalse();
    assertThat(request.describe()).isEqualTo("GET /health (its health check)");
  }

  @Test
  void theHeadIsOneRequestOnAConnectionOfItsOwn() {
    ProbeRequest request = ProbeRequest.of(null, new App.Mount("example.com", "/blog", false));
    assertThat(request.head("berth-readiness"))
        .isEqualTo(
            "GET /blog/ HTTP/1.1\r\n"
                + "Host: example.com\r\n"
                + "X-Forwarded-For: 127.0.0.1\r\n"
                + "X-Forwarded-Proto: http\r\n"
                + "X-Forwarded-Host: example.com\r\n"
                + "X-Forwarded-Prefix: /blog\r\n"
                + "SCRIPT_NAME: /blog\r\n"
                + "User-Agent: berth-readiness\r\n"
                + "Connection: close\r\n\r\n");
  }
}
