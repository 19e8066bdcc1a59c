package dev.berth.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.config.TlsSettings.UnknownNames;
import dev.berth.testing.TestPki;
import io.netty.handler.ssl.OpenSsl;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Session resumption by ticket with berth's rotating keys, seen by openssl s_client (which says
 * "New" or "Reused"): a ticket resumes under the key that made it and the one after, not later.
 */
class TicketKeysTest {

  @TempDir Path dir;

  @Test
  void aTicketResumesForOneRotationAndNotTwo() throws Exception {
    Assumptions.assumeTrue(OpenSsl.isAvailable(), "no OpenSSL provider here");
    ServerContexts contexts = ServerContexts.best();
    TestPki.Leaf leaf = new TestPki().leaf("a.test");
    CertificateStore store = new CertificateStore(contexts, UnknownNames.DEFAULT, null);
    store.put("a.test", leaf.key(), new X509Certificate[] {leaf.certificate()});
    Path session = dir.resolve("session.pem");
    try (Handshakes server = new Handshakes(() -> store)) {
      assertThat(sClient(server.port(), "-sess_out", session)).contains("New, TLSv1.2");
      assertThat(sClient(server.port(), "-sess_in", session)).contains("Reused, TLSv1.2");
      contexts.tickets().rotate();
      assertThat(sClient(server.port(), "-sess_in", session)).contains("Reused, TLSv1.2");
      contexts.tickets().rotate();
      assertThat(sClient(server.port(), "-sess_in", session)).contains("New, TLSv1.2");
    }
  }

  private static String sClient(int port, String option, Path session) throws Exception {
    Process process =
        new ProcessBuilder(
                List.of(
                    "openssl",
                    "s_client",
                    "-connect",
                    "127.0.0.1:" + port,
                    "-servername",
                    "a.test",
                    "-tls1_2",
                    option,
                    session.toString()))
            .redirectErrorStream(true)
            .start();
    process.getOutputStream().close();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return out;
  }
}
