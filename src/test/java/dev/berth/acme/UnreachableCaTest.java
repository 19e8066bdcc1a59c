package dev.berth.acme;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.testing.Await;
import dev.berth.testing.BerthProcess;
import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A CA that cannot be reached: said so, with its URL, and tried again later; nothing installed. */
class UnreachableCaTest {

  @Test
  void anUnreachableCaIsReportedWithItsAddressAndRetried(@TempDir Path state) throws Exception {
    URI nowhere = URI.create("https://127.0.0.1:" + BerthProcess.freePort() + "/dir");
    List<String> said = new CopyOnWriteArrayList<>();
    List<String> installed = new CopyOnWriteArrayList<>();
    try (AcmeCertificates certificates =
        new AcmeCertificates(
            state,
            new AcmeServer(nowhere, null, null),
            new HttpChallenges(),
            null,
            (host, key, chain) -> installed.add(host),
            said::add)) {
      certificates.manage(List.of("site.test"));

      HostStatus status =
          Await.value(
              "the failure reported",
              () -> certificates.status().get(0),
              s -> s.lastError() != null && !s.ordering());
      assertThat(status.lastError())
          .isEqualTo("cannot reach the CA at " + nowhere + ": connection refused");
      assertThat(status.nextRenewal()).isAfter(Instant.now().plusSeconds(30));
      assertThat(said)
          .anyMatch(line -> line.startsWith("acme: no certificate for site.test: cannot reach"));
      assertThat(installed).isEmpty();
    }
  }
}
