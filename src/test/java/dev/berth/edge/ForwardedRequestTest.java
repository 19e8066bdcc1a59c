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

  private static String fields(Route route, ClientAddress client, EdgeSettings settings) {
    DefaultHttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");
    request.headers().set("Host", "example.com");
    ByteBuf out = Unpooled.buffer();
    ForwardedRequest.of(request, route, client, settings).appendFields(out);
    String fields = out.toString(StandardCharsets.US_ASCII);
    out.release();
    return fields;
  }
}
