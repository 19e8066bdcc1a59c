package dev.berth.files;

import static dev.berth.files.Preconditions.Outcome.NOT_MODIFIED;
import static dev.berth.files.Preconditions.Outcome.PRECONDITION_FAILED;
import static dev.berth.files.Preconditions.Outcome.SEND;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.Date;
import org.junit.jupiter.api.Test;

class PreconditionsTest {

  private static final long MODIFIED = 1_700_000_000L;
  private static final Validator FILE = Validator.of(MODIFIED * 1000 + 789, 0x1a2, "");
  private static final String AT = DateFormatter.format(new Date(MODIFIED * 1000));
  private static final String BEFORE = DateFormatter.format(new Date((MODIFIED - 1) * 1000));

  private static Preconditions.Outcome evaluate(String... namesAndValues) {
    HttpHeaders headers = new DefaultHttpHeaders();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      headers.add(namesAndValues[i], namesAndValues[i + 1]);
    }
    return Preconditions.evaluate(headers, FILE);
  }

  @Test
  void tagsAreNginxsHexSecondsAndSize() {
    assertThat(FILE).isEqualTo(new Validator("\"6553f100-1a2\"", MODIFIED));
    assertThat(Validator.of(MODIFIED * 1000, 0x1a2, "-gzip").etag())
        .isEqualTo("\"6553f100-1a2-gzip\"");
  }

  @Test
  void ifNoneMatchComparesWeaklyAndTakesLists() {
    assertThat(evaluate()).isEqualTo(SEND);
    assertThat(evaluate("If-None-Match", FILE.etag())).isEqualTo(NOT_MODIFIED);
    assertThat(evaluate("If-None-Match", "W/" + FILE.etag())).isEqualTo(NOT_MODIFIED);
    assertThat(evaluate("If-None-Match", "\"a,b\", " + FILE.etag())).isEqualTo(NOT_MODIFIED);
    assertThat(evaluate("If-None-Match", "\"x\"", "If-None-Match", FILE.etag()))
        .isEqualTo(NOT_MODIFIED);
    assertThat(evaluate("If-None-Match", "*")).isEqualTo(NOT_MODIFIED);
    assertThat(evaluate("If-None-Match", "\"6553f100-1a2-gzip\"")).isEqualTo(SEND);
    assertThat(evaluate("If-None-Match", "\"6553f100\"")).isEqualTo(SEND);
    assertThat(evaluate("If-None-Match", "6553f100-1a2")).isEqualTo(SEND);
    assertThat(evaluate("If-None-Match", "\"x\", bad, " + FILE.etag())).isEqualTo(SEND);
  }

  @Test
  void ifNoneMatchOverridesIfModifiedSince() {
    assertThat(evaluate("If-Modified-Since", AT)).isEqualTo(NOT_MODIFIED);
    assertThat(evaluate("If-Modified-Since", BEFORE)).isEqualTo(SEND);
    assertThat(evaluate("If-Modified-Since", "yesterday")).isEqualTo(SEND);
    assertThat(evaluate("If-None-Match", "\"other\"", "If-Modified-Since", AT)).isEqualTo(SEND);
    assertThat(evaluate("If-None-Match", FILE.etag(), "If-Modified-Since", BEFORE))
        .isEqualTo(NOT_MODIFIED);
  }

  @Test
  void ifMatchComparesStronglyThenIfUnmodifiedSince() {
    assertThat(evaluate("If-Match", FILE.etag())).isEqualTo(SEND);
    assertThat(evaluate("If-Match", "*")).isEqualTo(SEND);
    assertThat(evaluate("If-Match", "W/" + FILE.etag())).isEqualTo(PRECONDITION_FAILED);
    assertThat(evaluate("If-Match", "\"other\"")).isEqualTo(PRECONDITION_FAILED);
    assertThat(evaluate("If-Unmodified-Since", AT)).isEqualTo(SEND);
    assertThat(evaluate("If-Unmodified-Since", BEFORE)).isEqualTo(PRECONDITION_FAILED);
    assertThat(evaluate("If-Match", FILE.etag(), "If-Unmodified-Since", BEFORE)).isEqualTo(SEND);
    assertThat(evaluate("If-Match", FILE.etag(), "If-None-Match", FILE.etag()))
        .isEqualTo(NOT_MODIFIED);
  }

  @Test
  void ifRangeNeedsAStrongTagOrTheExactDate() {
    assertThat(Preconditions.ifRangeHolds(null, FILE)).isTrue();
    assertThat(Preconditions.ifRangeHolds(FILE.etag(), FILE)).isTrue();
    assertThat(Preconditions.ifRangeHolds(" " + AT, FILE)).isTrue();
    assertThat(Preconditions.ifRangeHolds("W/" + FILE.etag(), FILE)).isFalse();
    assertThat(Preconditions.ifRangeHolds("\"other\"", FILE)).isFalse();
    assertThat(Preconditions.ifRangeHolds(BEFORE, FILE)).isFalse();
    assertThat(Preconditions.ifRangeHolds("not a date", FILE)).isFalse();
  }
}
