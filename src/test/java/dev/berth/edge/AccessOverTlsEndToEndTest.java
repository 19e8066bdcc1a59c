package dev.berth.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.access.Passwords;
import dev.berth.testing.BerthProcess;
import dev.berth.testing.Curl;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A site behind a password on berth's TLS listener, as the staging case has it: the
 * password is asked over HTTPS only, since a plain request for the host gets the 308 to https
 * first.
 */
class AccessOverTlsEndToEndTest {

  @TempDir Path tmp;

  @Test
  void thePasswordIsAskedOverHttpsOnly() throws Exception {
    Path site = Files.createDirectories(tmp.resolve("site"));
    Files.writeString(site.resolve("index.html"), "staging\n");
    Files.writeString(
        tmp.resolve("users"),
        "ann:" + Passwords.hash("over tls".getBytes(StandardCharsets.UTF_8), 4) + "\n");
    int plain = BerthProcess.freePort();
    int secure = BerthProcess.freePort();
    Path config =
        BerthProcess.write(
            tmp.resolve("berth.toml"),
            """
            state_dir = "%1$s/state"
            shutdown_timeout = "2s"

            [[listeners]]
            address = "127.0.0.1:%2$d"

            [[listeners]]
            address = "127.0.0.1:%3$d"
            tls = "internal"

            [[routes]]
            host = "staging.test"
            static = "site"
            basic_auth = { users_file = "users", realm = "Staging" }
            """
                .formatted(tmp, plain, secure));
    try (BerthProcess berth = BerthProcess.up(config)) {
      berth.awaitLine("serving on https://127.0.0.1:" + secure, Duration.ofSeconds(30));
      Curl.Response overPlain =
          Curl.get("http://127.0.0.1:" + plain + "/", "-H", "Host: staging.test", "-u", "ann:x");
      assertThat(overPlain.status()).isEqualTo(308);
      assertThat(overPlain.header("Location")).startsWith("https://staging.test");

      String root = tmp.resolve("state/certs/internal/root.pem").toString();
      String url = "https://staging.test:" + secure + "/";
      String resolve = "staging.test:" + secure + ":127.0.0.1";
      Curl.Response asked = Curl.get(url, "--cacert", root, "--resolve", resolve);
      assertThat(asked.status()).isEqualTo(401);
      assertThat(asked.header("WWW-Authenticate")).startsWith("Basic realm=\"Staging\"");
      Curl.Response in =
          Curl.get(url, "--cacert", root, "--resolve", resolve, "-u", "ann:over tls");
      assertThat(in.status()).isEqualTo(200);
      assertThat(in.body()).isEqualTo("staging\n");
    }
  }
}
