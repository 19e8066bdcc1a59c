package dev.berth.files;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class AcceptEncodingTest {

  private static final List<String> OFFERED = List.of("zstd", "br", "gzip");

  @Test
  void theServersOrderDecidesBetweenEqualQualities() {
    assertThat(AcceptEncoding.pick("gzip, deflate, br, zstd", OFFERED)).isEqualTo(0);
    assertThat(AcceptEncoding.pick("gzip, deflate, br", OFFERED)).isEqualTo(1);
    assertThat(AcceptEncoding.pick("GZIP", OFFERED)).isEqualTo(2);
    assertThat(AcceptEncoding.pick("x-gzip", OFFERED)).isEqualTo(2);
    assertThat(AcceptEncoding.pick(" gzip ,br ", List.of("gzip", "br"))).isEqualTo(0);
  }

  @Test
  void aHigherQualityWinsOverTheServersOrder() {
    assertThat(AcceptEncoding.pick("zstd;q=0.5, gzip", OFFERED)).isEqualTo(2);
    assertThat(AcceptEncoding.pick("br; q=1.0, zstd;q=0.9", OFFERED)).isEqualTo(1);
  }

  @Test
  void aStarStandsForTheCodingsNotNamed() {
    assertThat(AcceptEncoding.pick("*", OFFERED)).isEqualTo(0);
    assertThat(AcceptEncoding.pick("zstd;q=0, *", OFFERED)).isEqualTo(1);
    assertThat(AcceptEncoding.pick("zstd;q=0, br;q=0, *;q=0.1", OFFERED)).isEqualTo(2);
    assertThat(AcceptEncoding.pick("gzip, *;q=0", OFFERED)).isEqualTo(2);
  }

  @Test
  void nothingTakenMeansIdentity() {
    for (String none :
        new String[] {
          "identity",
          "",
          ",",
          "deflate",
          "*;q=0",
          "gzip;q=0",
          "gzip;q=2",
          "gzip;q=",
          "gzip;q=x",
          "zstd;q=0.0001"
        }) {
      assertThat(AcceptEncoding.pick(none, OFFERED)).as(none).isEqualTo(-1);
    }
    assertThat(AcceptEncoding.pick(null, OFFERED)).isEqualTo(-1);
    assertThat(AcceptEncoding.pick("gzip", List.of())).isEqualTo(-1);
  }
}
