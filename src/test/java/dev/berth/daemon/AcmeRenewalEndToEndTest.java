package dev.berth.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.testing.Await;
import dev.berth.testing.BerthProcess;
import dev.berth.testing.Pebble;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A short-lived certificate (15 s, from pebble) renewed by a running berth at two thirds of its
 * life: the new one serves new connections, and a connection opened before goes on.
 */
class AcmeRenewalEndToEndTest {

  private static final String ISSUED = "acme: site.test: certificate issued by Pebble";

  @Test
  void theRenewedCertificateServesNewConnectionsAndOldOnesGoOn(@TempDir Path tmp) throws Exception {
    Assumptions.assumeTrue(
        Pebble.installed(), "pebble is not installed (scripts/install-deps.sh --tests)");
    Path www = Files.createDirectories(tmp.resolve("www"));
    Files.writeString(www.resolve("hello.txt"), "hello\n");
    int plain = BerthProcess.freePort();
    int secure = BerthProcess.freePort();
    try (Pebble pebble =
        Pebble.start(tmp.resolve("pebble"), plain, secure, Duration.ofSeconds(15))) {
      Path config =
          BerthProcess.write(
              tmp.resolve("berth.toml"),
              """
              state_dir = "%1$s/state"
              shutdown_timeout = "2s"

              [edge]
              # The connection from before waits for the renewal: not closed as idle meanwhile.
              keepalive_timeout = "300s"

              [[listeners]]
              address = "127.0.0.1:%2$d"

              [[listeners]]
              address = "127.0.0.1:%3$d"
              tls = "acme"

              [tls]
              acme_directory = "%4$s"
              acme_trust = "%5$s"

              [[routes]]
              host = "site.test"
              static = "%1$s/www"
              """
                  .formatted(tmp, plain, secure, pebble.directory(), pebble.trust()));
      try (BerthProcess berth = BerthProcess.up(config)) {
        berth.awaitLine(ISSUED, Duration.ofSeconds(60));
        SSLContext trusting = trusting(pebble.issuingRootCertificate());

        try (SSLSocket before = connect(trusting, secure)) {
          BigInteger first = serial(before);
          assertThat(get(before)).isEqualTo(200);

          Await.until(
              "a second certificate (the renewal)",
              Duration.ofSeconds(60),
              () -> count(berth.output(), ISSUED) >= 2);

          // The connection from before the renewal goes on, with the certificate it shook hands
          // with.
          assertThat(get(before)).isEqualTo(200);
          try (SSLSocket after = connect(trusting, secure)) {
            assertThat(serial(after)).isNotEqualTo(first);
            assertThat(get(after)).isEqualTo(200);
          }
        }
      }
    }
  }

  private static int count(String text, String what) {
    Matcher matcher = Pattern.compile(Pattern.quote(what)).matcher(text);
    int n = 0;
    while (matcher.find()) {
      n++;
    }
    return n;
  }

  private static SSLContext trusting(X509Certificate root) throws Exception {
    KeyStore anchors = KeyStore.getInstance(KeyStore.getDefaultType());
    anchors.load(null, null);
    anchors.setCertificateEntry("root", root);
    TrustManagerFactory factory =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init(anchors);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, factory.getTrustManagers(), null);
    return context;
  }

  /** A TLS connection to 127.0.0.1:port for site.test, its name checked against the chain. */
  private static SSLSocket connect(SSLContext context, int port) throws IOException {
    Socket plain = new Socket(InetAddress.getLoopbackAddress(), port);
    plain.setSoTimeout(30_000);
    SSLSocket tls =
        (SSLSocket) context.getSocketFactory().createSocket(plain, "site.test", port, true);
    SSLParameters parameters = tls.getSSLParameters();
    parameters.setServerNames(List.of(new SNIHostName("site.test")));
    parameters.setEndpointIdentificationAlgorithm("HTTPS");
    tls.setSSLParameters(parameters);
    tls.startHandshake();
    return tls;
  }

  private static BigInteger serial(SSLSocket socket) throws IOException {
    return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber();
  }

  /** GET /hello.txt on {@code socket}, keep-alive; the status, once the whole body is read. */
  private static int get(SSLSocket socket) throws IOException {
    OutputStream out = socket.getOutputStream();
    out.write(
        "GET /hello.txt HTTP/1.1\r\nHost: site.test\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    out.flush();
    InputStream in = socket.getInputStream();
    String status = line(in);
    long length = 0;
    for (String header = line(in); !header.isEmpty(); header = line(in)) {
      String lower = header.toLowerCase(Locale.ROOT);
      if (lower.startsWith("content-length:")) {
        length = Long.parseLong(lower.substring("content-length:".length()).trim());
      }
    }
    in.readNBytes((int) length);
    return Integer.parseInt(status.split(" ")[1]);
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) != '\n') {
      if (b == -1) {
        throw new IOException("connection closed");
      }
      if (b != '\r') {
        line.write(b);
      }
    }
    return line.toString(StandardCharsets.US_ASCII);
  }
}
