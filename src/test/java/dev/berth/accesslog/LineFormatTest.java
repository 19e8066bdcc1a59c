package dev.berth.accesslog;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class LineFormatTest {

  private static final Instant TIME = Instant.parse("2026-11-24T17:21:13.456Z");
  // What a client sends as the UTF-8 bytes of "é", as the edge decodes them (Latin-1).
  private static final String E_ACUTE_BYTES = "\u00c3\u00a9";

  private final LineFormat utc = new LineFormat(ZoneOffset.UTC);

  private static AccessLogEntry proxied() {
    return new AccessLogEntry(
        TIME,
        "203.0.113.7",
        "GET",
        "/tasks/?page=2",
        "HTTP/1.1",
        200,
        1534,
        "https://example.com/",
        "curl/8.5.0",
        "example.com",
        "unix:/srv/.berth/run/tasks-1.sock",
        Duration.ofMillis(12),
        Duration.ofNanos(15_900_000));
  }

  private static AccessLogEntry answeredByBerth(String userAgent) {
    return new AccessLogEntry(
        TIME,
        "::1",
        "HEAD",
        "/missing",
        "HTTP/1.0",
        0,
        0,
        null,
        userAgent,
        null,
        null,
        null,
        Duration.ofSeconds(2));
  }

  @Test
  void combinedIsNginxCombinedWithUpstreamFields() {
    assertThat(utc.combined(proxied()))
        .isEqualTo(
            "203.0.113.7 - - [24/Nov/2026:17:21:13 +0000] \"GET /tasks/?page=2 HTTP/1.1\" 200 1534"
                + " \"https://example.com/\" \"curl/8.5.0\" \"unix:/srv/.berth/run/tasks-1.sock\" 0.012 0.015");
  }

  /** A request that went on to another instance lists both, as nginx's $upstream_addr does. */
  private static AccessLogEntry retried() {
    return new AccessLogEntry(
        TIME,
        "203.0.113.7",
        "GET",
        "/crash",
        "HTTP/1.1",
        502,
        120,
        null,
        "curl/8.5.0",
        "example.com",
        "127.0.0.1:8001, unix:/srv/.berth/run/tasks-2.sock",
        Duration.ofMillis(40),
        Duration.ofMillis(41));
  }

  @Test
  void everyInstanceTriedIsListedInBothFormats() throws Exception {
    assertThat(utc.combined(retried()))
        .endsWith(
            " \"curl/8.5.0\" \"127.0.0.1:8001, unix:/srv/.berth/run/tasks-2.sock\" 0.040 0.041");
    JsonNode json = new ObjectMapper().readTree(utc.json(retried()));
    assertThat(json.get("upstream_addr").asText())
        .isEqualTo("127.0.0.1:8001, unix:/srv/.berth/run/tasks-2.sock");
    assertThat(json.get("upstream_time").decimalValue()).isEqualByComparingTo("0.040");
  }

  @Test
  void combinedUsesTheZoneOffsetAndDashesForAbsentValues() {
    assertThat(new LineFormat(ZoneId.of("Asia/Kolkata")).combined(answeredByBerth(null)))
        .isEqualTo(
            "::1 - - [24/Nov/2026:22:51:13 +0530] \"HEAD /missing HTTP/1.0\" 000 0 \"-\" \"-\" \"-\" - 2.000");
  }

  @Test
  void combinedEscapesLikeNginxSoNoLineCanBeForged() {
    String forged =
        "a\"b\\c\r\n1.2.3.4 - - [x] \"GET / HTTP/1.1\" 200 "
            + E_ACUTE_BYTES
            + " \u20ac \u0000\u007f";
    String line = utc.combined(answeredByBerth(forged));

    assertThat(line)
        .contains(
            "\"a\\x22b\\x5Cc\\x0D\\x0A1.2.3.4 - - [x] \\x22GET / HTTP/1.1\\x22 200 \\xC3\\xA9 \\xE2\\x82\\xAC \\x00\\x7F\"")
        .doesNotContain("\n", "\r")
        .matches("[\\x20-\\x7e]*");
  }

  @Test
  void jsonHasStableFieldsAndParsesBack() throws Exception {
    JsonNode json = new ObjectMapper().readTree(utc.json(proxied()));

    assertThat(json.properties())
        .extracting(p -> p.getKey())
        .containsExactly(
            "time",
            "remote_addr",
            "method",
            "target",
            "protocol",
            "status",
            "body_bytes_sent",
            "referer",
            "user_agent",
            "host",
            "upstream_addr",
            "upstream_time",
            "request_time");
    assertThat(json.get("time").asText()).isEqualTo("2026-11-24T17:21:13.456+00:00");
    assertThat(json.get("remote_addr").asText()).isEqualTo("203.0.113.7");
    assertThat(json.get("target").asText()).isEqualTo("/tasks/?page=2");
    assertThat(json.get("status").isInt()).isTrue();
    assertThat(json.get("status").asInt()).isEqualTo(200);
    assertThat(json.get("body_bytes_sent").asLong()).isEqualTo(1534);
    assertThat(json.get("host").asText()).isEqualTo("example.com");
    assertThat(json.get("upstream_addr").asText()).isEqualTo("unix:/srv/.berth/run/tasks-1.sock");
    assertThat(json.get("upstream_time").decimalValue()).isEqualByComparingTo("0.012");
    assertThat(json.get("request_time").decimalValue()).isEqualByComparingTo("0.015");
  }

  @Test
  void jsonHasNullsForAbsentValuesAndKeepsHostileStringsIntactOnOneAsciiLine() throws Exception {
    String hostile = "a\"b\\c\r\nd" + E_ACUTE_BYTES + "\u20ac";
    String line = utc.json(answeredByBerth(hostile));
    JsonNode json = new ObjectMapper().readTree(line);

    assertThat(line).matches("[\\x20-\\x7e]*");
    assertThat(json.get("user_agent").asText()).isEqualTo(hostile);
    assertThat(json.get("referer").isNull()).isTrue();
    assertThat(json.get("host").isNull()).isTrue();
    assertThat(json.get("upstream_addr").isNull()).isTrue();
    assertThat(json.get("upstream_time").isNull()).isTrue();
    assertThat(json.get("status").asInt()).isZero();
  }
}
