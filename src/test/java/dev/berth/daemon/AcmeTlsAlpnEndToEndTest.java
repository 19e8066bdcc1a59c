package dev.berth.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.testing.BerthProcess;
import dev.berth.testing.Curl;
import dev.berth.testing.Pebble;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A berth with only a {@code tls = "acme"} listener (no plain one): its certificate comes by
 * TLS-ALPN-01, answered by berth's own certificate store on that listener, and curl verifies it
 * against pebble's root.
 */
class AcmeTlsAlpnEndToEndTest {

  @Test
  void withoutAPlainListenerTheTlsListenerAnswersTlsAlpn01(@TempDir Path tmp) throws Exception {
    Assumptions.assumeTrue(
        Pebble.installed(), "pebble is not installed (scripts/install-deps.sh --tests)");
    Path www = Files.createDirectories(tmp.resolve("www"));
    Files.writeString(www.resolve("hello.txt"), "hello by alpn\n");
    int secure = BerthProcess.freePort();
    try (Pebble pebble = Pebble.start(tmp.resolve("pebble"), 1, secure, Duration.ofDays(90))) {
      Path config =
          BerthProcess.write(
              tmp.resolve("berth.toml"),
              """
              state_dir = "%1$s/state"
              shutdown_timeout = "2s"

              [[listeners]]
              address = "127.0.0.1:%2$d"
              tls = "acme"

              [tls]
              acme_directory = "%3$s"
              acme_trust = "%4$s"

              [[routes]]
              host = "alpn.test"
              static = "%1$s/www"
              """
                  .formatted(tmp, secure, pebble.directory(), pebble.trust()));
      try (BerthProcess berth = BerthProcess.up(config)) {
        berth.awaitLine("acme: alpn.test: certificate issued by Pebble", Duration.ofSeconds(60));

        Curl.Response response =
            Curl.get(
                "https://alpn.test:" + secure + "/hello.txt",
                "--cacert",
                pebble.issuingRoot().toString(),
                "--resolve",
                "alpn.test:" + secure + ":127.0.0.1");
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("hello by alpn\n");
        assertThat(berth.output()).doesNotContain("http-01");
      }
    }
  }
}
