package dev.berth.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.config.AccessLogSpec;
import dev.berth.config.EdgeSettings;
import dev.berth.config.Route;
import dev.berth.config.RouteLimits;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The target a forwarded head carries: the client's, in origin form, less a stripped mount. The
 * encoder writes it from the client's string; uri() makes it only when asked. Both must agree.
 */
class ForwardedRequestTest {

  private static final ClientAddress CLIENT =
      new ClientAddress(
          InetAddress.getLoopbackAddress(),
          "127.0.0.1",
          AsciiString.of("127.0.0.1"),
          AsciiString.of("80"));

  @ParameterizedTest(name = "{0} at {1} (strip {2}) goes up as {3}")
  @CsvSource({
    "/app/x?q=1, /app, true, /x?q=1",
    "/app/, /app, true, /",
    "/app, /app, true, /",
    "/app?q=1, /app, true, /?q=1",
    "/app/x, /app, false, /app/x",
    "/x/y, /, true, /x/y",
    "http://example.com/app/x?q, /app, true, /x?q",
    "http://example.com, /, false, /",
    "*, /, false, *",
  })
  void targetIsTheClientsLessTheStrippedMount(
      String clientTarget, String mount, boolean strip, String expected) {
    Route route =
        new Route(
            "",
            mount,
            new Route.AppTarget("app"),
            strip,
            RouteLimits.standard(),
            new AccessLogSpec(false, Path.of("/dev/null"), AccessLogSpec.Format.COMBINED),
            1);
    DefaultHttpRequest request =
        new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, clientTarget);
    request.headers().set("Host", "example.com");

    ForwardedRequest.Head head =
        ForwardedRequest.of(request, route, CLIENT, EdgeSettings.standard());

    assertThat(head.uri()).isEqualTo(expected);
    ByteBuf written = Unpooled.buffer();
    head.writeTarget(written);
    assertThat(written.toString(StandardCharsets.UTF_8)).isEqualTo(expected);
    written.release();
  }

  @org.junit.jupiter.api.Test
  void aTlsConnectionIsForwardedAsHttpsAndAPlainOneAsHttp() {
    Route route =
        new Route(
            "",
            "/",
            new Route.AppTarget("app"),
            false,
            RouteLimits.standard(),
            new AccessLogSpec(false, Path.of("/dev/null"), AccessLogSpec.Format.COMBINED),
            1);
    EdgeSettings forwarded =
        new EdgeSettings(
            8192,
            8192,
            java.time.Duration.ofSeconds(20),
            java.time.Duration.ofSeconds(75),
            100,
            dev.berth.config.TrustedProxies.NONE,
            true,
            RouteLimits.standard(),
            1,
            EdgeSettings.IoTransport.NIO);
    ClientAddress secure =
        new ClientAddress(CLIENT.peer(), CLIENT.text(), CLIENT.ip(), AsciiString.of("443"), true);
    assertThat(fields(route, secure, forwarded))
        .contains("x-forwarded-proto: https\r\n")
        .contains("forwarded: for=127.0.0.1;proto=https;host=\"example.com\"\r\n");
    assertThat(fields(route, CLIENT, forwarded))
        .contains("x-forwarded-proto: http\r\n")
        .contains("proto=http;");
  }

  @org.junit.jupiter.api.Test
  void aUnixSocketPeerAddsNoAddressAndIsTrustedByUnixOnly() {
    Route route =
        new Route(
            "",
            "/",
            new Route.AppTarget("app"),
            false,
            RouteLimits.standard(),
            new AccessLogSpec(false, Path.of("/dev/null"), AccessLogSpec.Format.COMBINED),
            1);
    ClientAddress unix = new ClientAddress(null, "unix:", null, null, false, true);
    java.util.Map<String, String> apache =
        java.util.Map.of(
            "X-Forwarded-For", "192.0.2.7",
            "X-Forwarded-Proto", "https",
            "X-Forwarded-Host", "www.example.com");

    // Trusted: Apache's fields go on as they came; berth has no address to add to the chain.
    String trusted =
        fields(
            route,
            unix,
            settings(new dev.berth.config.TrustedProxies(java.util.List.of(), true)),
            apache);
    assertThat(trusted)
        .contains("x-forwarded-for: 192.0.2.7\r\n")
        .contains("x-forwarded-proto: https\r\n")
        .contains("x-forwarded-host: www.example.com\r\n")
        .doesNotContain("x-forwarded-port");

    // Not trusted: its fields are dropped; berth's own have no client address to give.
    String untrusted =
        fields(
            route,
            unix,
            settings(
                dev.berth.config.TrustedProxies.of(
                    java.util.List.of(dev.berth.config.Cidr.parse("127.0.0.1")))),
            apache);
    assertThat(untrusted)
        .doesNotContain("x-forwarded-for")
        .contains("x-forwarded-proto: http\r\n")
        .contains("x-forwarded-host: example.com\r\n");
  }

  private static EdgeSettings settings(dev.berth.config.TrustedProxies trusted) {
    return new EdgeSettings(
        8192,
        8192,
        java.time.Duration.ofSeconds(20),
        java.time.Duration.ofSeconds(75),
        100,
        trusted,
        false,
        RouteLimits.standard(),
        1,
        EdgeSettings.IoTransport.NIO);
  }

  private static String fields(Route route, ClientAddress client, EdgeSettings settings) {
    return fields(route, client, settings, java.util.Map.of());
  }

  private static String fields(
      Route route,
      ClientAddress client,
      EdgeSettings settings,
      java.util.Map<String, String> sent) {
    DefaultHttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");
    request.headers().set("Host", "example.com");
    sent.forEach(request.headers()::set);
    ByteBuf out = Unpooled.buffer();
    ForwardedRequest.of(request, route, client, settings).appendFields(out);
    String fields = out.toString(StandardCharsets.US_ASCII);
    out.release();
    return fields;
  }
}
