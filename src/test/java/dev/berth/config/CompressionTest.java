package dev.berth.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class CompressionTest {

  @Test
  void theDefaultTypesAreTextLike() {
    for (String yes :
        new String[] {
          "text/html; charset=utf-8",
          "TEXT/PLAIN",
          "text/event-stream",
          "application/json",
          "application/javascript; charset=utf-8",
          "image/svg+xml",
          "application/manifest+json"
        }) {
      assertThat(Compression.DEFAULT.compressesType(yes)).as(yes).isTrue();
    }
    for (String no :
        new String[] {
          "image/png",
          "image/jpeg",
          "video/mp4",
          "font/woff2",
          "application/zip",
          "application/octet-stream",
          "application/gzip",
          "textual/plain",
          "text",
          "",
          "/json"
        }) {
      assertThat(Compression.DEFAULT.compressesType(no)).as(no).isFalse();
    }
    assertThat(Compression.DEFAULT.compressesType(null)).isFalse();
  }

  @Test
  void aWildcardCoversOneTypeOnly() {
    Compression c = new Compression(List.of(Compression.Coding.GZIP), 0, List.of("application/*"));
    assertThat(c.compressesType("application/x-anything")).isTrue();
    assertThat(c.compressesType("applications/json")).isFalse();
    assertThat(c.compressesType("text/plain")).isFalse();
  }

  @Test
  void anEmptyListTurnsItOff() {
    assertThat(Compression.OFF.enabled()).isFalse();
    assertThat(Compression.DEFAULT.enabled()).isTrue();
  }
}
