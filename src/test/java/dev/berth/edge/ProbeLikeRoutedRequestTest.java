package dev.berth.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.config.AccessLogSpec;
import dev.berth.config.App;
import dev.berth.config.EdgeSettings;
import dev.berth.config.ProbeRequest;
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
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * berth's probes (config.ProbeRequest) and the edge (ForwardedRequest) build a request to an app in
 * two places: the edge's is on the hot path, with its own cached values. This keeps them saying the
 * same: for a client on this host asking the route's host for the probe's path, the edge forwards
 * the target and fields the probe sends (the edge adds only X-Forwarded-Port, of its listener).
 */
class ProbeLikeRoutedRequestTest {

  private static final ClientAddress LOCAL =
      new ClientAddress(
          InetAddress.getLoopbackAddress(),
          "127.0.0.1",
          AsciiString.of("127.0.0.1"),
          AsciiString.of("80"));

  @ParameterizedTest(name = "host {0}, path {1}, strip {2}")
  @CsvSource({
    "www.example.com, /, false",
    "www.example.com, /blog, false",
    "www.example.com, /blog, true",
  })
  void theEdgeForwardsWhatTheProbeSends(String host, String path, boolean strip) {
    Route route =
        new Route(
            host,
            path,
            new Route.AppTarget("app"),
            strip,
            RouteLimits.standard(),
            new AccessLogSpec(false, Path.of("/dev/null"), AccessLogSpec.Format.COMBINED),
            1);
    ProbeRequest probe =
        ProbeRequest.of(
            new App.HealthCheck("/health", Duration.ofSeconds(10), Duration.ofSeconds(2)),
            App.Mount.of("app", List.of(route)));
    String publicPath = (path.equals("/") ? "" : path) + "/health";
    DefaultHttpRequest client =
        new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, publicPath);
    client.headers().set("Host", host);

    ForwardedRequest.Head head = ForwardedRequest.of(client, route, LOCAL, EdgeSettings.standard());

    assertThat(head.uri()).isEqualTo(probe.target());
    Map<String, String> forwarded = new TreeMap<>();
    forwarded.put("host", head.headers().get("Host"));
    ByteBuf appended = Unpooled.buffer();
    head.appendFields(appended);
    for (String line : appended.toString(StandardCharsets.US_ASCII).split("\r\n")) {
      int colon = line.indexOf(": ");
      forwarded.put(line.substring(0, colon).toLowerCase(Locale.ROOT), line.substring(colon + 2));
    }
    appended.release();
    forwarded.remove("x-forwarded-port");
    Map<String, String> probed = new TreeMap<>();
    probe.fields().forEach(f -> probed.put(f.name().toLowerCase(Locale.ROOT), f.value()));
    assertThat(probed).isEqualTo(forwarded);
  }
}
