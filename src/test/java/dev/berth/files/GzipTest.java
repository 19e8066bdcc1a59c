package dev.berth.files;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class GzipTest {

  @Test
  void acceptEncodingWithQualities() {
    for (String yes :
        new String[] {
          "gzip",
          "GZIP",
          "deflate, gzip, br",
          "gzip;q=0.5",
          "br;q=1.0, gzip; q=0.001",
          "x-gzip",
          "*",
          "br, *;q=0.1"
        }) {
      assertThat(Gzip.accepted(yes)).as(yes).isTrue();
    }
    for (String no :
        new String[] {
          "identity",
          "",
          "br, deflate",
          "gzip;q=0",
          "gzip; Q=0.000",
          "gzip;q=0, *",
          "*;q=0",
          "gzip;q=2",
          "gzip;q=0.0001",
          "gzip;q=",
          "gzip;q=high"
        }) {
      assertThat(Gzip.accepted(no)).as(no).isFalse();
    }
    assertThat(Gzip.accepted(null)).isFalse();
  }

  @Test
  void onlyTextLikeTypesAreCompressed() {
    for (String yes :
        new String[] {
          "text/plain; charset=utf-8", "text/css", "text/javascript", "application/javascript",
          "application/json; charset=utf-8", "application/xml", "image/svg+xml",
              "application/manifest+json"
        }) {
      assertThat(Gzip.compressible(yes)).as(yes).isTrue();
    }
    for (String no :
        new String[] {
          "image/png",
          "application/wasm",
          "application/gzip",
          "font/woff2",
          "application/octet-stream"
        }) {
      assertThat(Gzip.compressible(no)).as(no).isFalse();
    }
  }
}
