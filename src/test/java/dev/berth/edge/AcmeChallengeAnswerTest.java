package dev.berth.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Which requests get an HTTP-01 answer, and what it looks like; the rest fall through to routing.
 */
class AcmeChallengeAnswerTest {

  private static final Function<String, String> KNOWN = Map.of("abc_D-9", "abc_D-9.print")::get;

  private static FullHttpResponse answer(HttpMethod method, String path) {
    HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, method, path);
    return AcmeChallengeAnswer.answer(request, path, KNOWN);
  }

  @Test
  void aGetForAKnownTokenIsAnsweredWithItsKeyAuthorization() {
    FullHttpResponse response = answer(HttpMethod.GET, "/.well-known/acme-challenge/abc_D-9");

    assertThat(response.status().code()).isEqualTo(200);
    assertThat(response.headers().get("content-type")).isEqualTo("text/plain");
    assertThat(response.headers().get("content-length")).isEqualTo("13");
    assertThat(response.content().toString(StandardCharsets.US_ASCII)).isEqualTo("abc_D-9.print");
    response.release();
  }

  @Test
  void aHeadGetsTheLengthWithoutTheBody() {
    FullHttpResponse response = answer(HttpMethod.HEAD, "/.well-known/acme-challenge/abc_D-9");

    assertThat(response.headers().get("content-length")).isEqualTo("13");
    assertThat(response.content().readableBytes()).isZero();
  }

  @Test
  void everythingElseFallsThroughToRouting() {
    assertThat(answer(HttpMethod.GET, "/.well-known/acme-challenge/unknown")).isNull();
    assertThat(answer(HttpMethod.POST, "/.well-known/acme-challenge/abc_D-9")).isNull();
    assertThat(answer(HttpMethod.GET, "/.well-known/acme-challenge/")).isNull();
    assertThat(answer(HttpMethod.GET, "/.well-known/acme-challenge/abc_D-9/x")).isNull();
    assertThat(answer(HttpMethod.GET, "/abc_D-9")).isNull();
  }
}
