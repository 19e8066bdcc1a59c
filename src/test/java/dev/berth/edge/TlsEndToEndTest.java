package dev.berth.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.testing.Await;
import dev.berth.testing.BerthProcess;
import dev.berth.testing.Cli;
import dev.berth.testing.Curl;
import dev.berth.testing.TestPki;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTPS with a real berth, asked with curl (and a JDK client where a connection must outlive a
 * reload): certificates from files picked by SNI, berth's internal CA, the 308 from the plain
 * listener, HSTS, plain HTTP and garbage on the TLS port, sslscan's view of the listener, and a
 * certificate file replaced under a running berth.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TlsEndToEndTest {

  private final TestPki pki = new TestPki();
  private Path tmp;
  private Path config;
  private Path rootPem;
  private BerthProcess berth;
  private int plain;
  private int files;
  private int internal;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    tmp = dir;
    Path www = Files.createDirectories(tmp.resolve("www"));
    Files.writeString(www.resolve("hello.txt"), "hello over tls\n");
    Files.writeString(www.resolve("large.txt"), "0123456789abcdef".repeat(100_000));
    Path certs = Files.createDirectories(tmp.resolve("certs"));
    TestPki.write(pki.leaf("a.test", "www.a.test"), certs, "a");
    TestPki.write(pki.leaf("b.test"), certs, "b");
    rootPem = pki.writeRoot(tmp.resolve("test-root.pem"));
    plain = BerthProcess.freePort();
    files = BerthProcess.freePort();
    internal = BerthProcess.freePort();
    config =
        BerthProcess.write(
            tmp.resolve("berth.toml"),
            """
            state_dir = "%1$s/state"
            shutdown_timeout = "2s"

            [[listeners]]
            address = "127.0.0.1:%2$d"

            [[listeners]]
            address = "127.0.0.1:%3$d"
            tls = [
              { certificate = "%1$s/certs/a.pem", key = "%1$s/certs/a.key" },
              { certificate = "%1$s/certs/b.pem", key = "%1$s/certs/b.key" },
            ]

            [[listeners]]
            address = "127.0.0.1:%4$d"
            tls = "internal"

            [tls]
            hsts = "max-age=31536000"

            [apps.raw]
            user = "root"
            dir = "%5$s"
            command = "/usr/bin/python3 rawserver.py"

            [[routes]]
            host = "a.test"
            static = "%1$s/www"

            [[routes]]
            host = "a.test"
            path = "/app"
            app = "raw"
            strip_prefix = true

            [[routes]]
            host = "b.test"
            static = "%1$s/www"
            hsts = false

            [[routes]]
            host = "internal.test"
            static = "%1$s/www"

            [[routes]]
            static = "%1$s/www"
            """
                .formatted(tmp, plain, files, internal, BerthProcess.testApp()));
    berth = BerthProcess.up(config);
    berth.awaitLine("serving on https://127.0.0.1:" + internal, Duration.ofSeconds(30));
  }

  @AfterAll
  void stop() {
    if (berth != null) {
      berth.close();
    }
  }

  private Curl.Response https(String host, int port, String path, String cacert) throws Exception {
    return Curl.get(
        "https://" + host + ":" + port + path,
        "--cacert",
        cacert,
        "--resolve",
        host + ":" + port + ":127.0.0.1");
  }

  @Test
  void certificateFilesArePickedBySniAndVerify() throws Exception {
    // curl checks the name: a wrong certificate for the SNI would fail the request.
    Curl.Response a = https("a.test", files, "/hello.txt", rootPem.toString());
    assertThat(a.status()).isEqualTo(200);
    assertThat(a.body()).isEqualTo("hello over tls\n");
    assertThat(https("www.a.test", files, "/hello.txt", rootPem.toString()).status())
        .isEqualTo(200);
    assertThat(https("b.test", files, "/hello.txt", rootPem.toString()).status()).isEqualTo(200);
    assertThat(berth.output()).contains("serving on https://127.0.0.1:" + files);
    assertThat(berth.output()).containsPattern("TLS by (BoringSSL|OpenSSL|the JDK)");
  }

  @Test
  void filesSmallAndLargeAndRangesGoThroughTls() throws Exception {
    Curl.Response large = https("a.test", files, "/large.txt", rootPem.toString());
    assertThat(large.status()).isEqualTo(200);
    assertThat(large.body()).isEqualTo("0123456789abcdef".repeat(100_000));
    Curl.Response range =
        Curl.get(
            "https://a.test:" + files + "/large.txt",
            "--cacert",
            rootPem.toString(),
            "--resolve",
            "a.test:" + files + ":127.0.0.1",
            "-H",
            "Range: bytes=1599990-",
            "-H",
            "Accept-Encoding: identity");
    assertThat(range.status()).isEqualTo(206);
    assertThat(range.body()).isEqualTo("6789abcdef");
    Curl.Response small =
        Curl.get(
            "https://a.test:" + files + "/hello.txt",
            "--cacert",
            rootPem.toString(),
            "--resolve",
            "a.test:" + files + ":127.0.0.1",
            "-H",
            "Range: bytes=6-9");
    assertThat(small.status()).isEqualTo(206);
    assertThat(small.body()).isEqualTo("over");
  }

  @Test
  void internalCaLeafNamesTheHostAndVerifiesAgainstTheRoot() throws Exception {
    Path root = tmp.resolve("state/certs/internal/root.pem");
    assertThat(berth.output()).contains(root.toString());
    Curl.Response response = https("internal.test", internal, "/hello.txt", root.toString());
    assertThat(response.status()).isEqualTo(200);
    // The default, for a name no route has: localhost.
    assertThat(https("localhost", internal, "/hello.txt", root.toString()).status()).isEqualTo(200);
    assertThat(
            PosixFilePermissions.toString(
                Files.getPosixFilePermissions(tmp.resolve("state/certs/internal/root.key"))))
        .isEqualTo("rw-------");
    assertThat(berth.output()).doesNotContain("PRIVATE KEY");
  }

  @Test
  void plainListenerRedirectsTlsHostsWith308ExceptAcmeChallenges() throws Exception {
    Curl.Response redirect =
        Curl.get("http://127.0.0.1:" + plain + "/hello.txt?x=1", "-H", "Host: a.test");
    assertThat(redirect.status()).isEqualTo(308);
    assertThat(redirect.header("Location")).isEqualTo("https://a.test:" + files + "/hello.txt?x=1");
    Curl.Response internalHost =
        Curl.get("http://127.0.0.1:" + plain + "/", "-H", "Host: internal.test:" + plain);
    assertThat(internalHost.header("Location"))
        .isEqualTo("https://internal.test:" + internal + "/");
    Curl.Response challenge =
        Curl.get(
            "http://127.0.0.1:" + plain + "/.well-known/acme-challenge/token",
            "-H",
            "Host: a.test");
    assertThat(challenge.status()).isNotEqualTo(308);
    // A host no TLS listener has a certificate for is served over plain HTTP.
    Curl.Response other =
        Curl.get("http://127.0.0.1:" + plain + "/hello.txt", "-H", "Host: other.test");
    assertThat(other.status()).isEqualTo(200);
    assertThat(other.header("Strict-Transport-Security")).isNull();
  }

  @Test
  void hstsFromTlsSectionAndRouteOverride() throws Exception {
    assertThat(
            https("a.test", files, "/hello.txt", rootPem.toString())
                .header("Strict-Transport-Security"))
        .isEqualTo("max-age=31536000");
    assertThat(
            https("b.test", files, "/hello.txt", rootPem.toString())
                .header("Strict-Transport-Security"))
        .isNull();
    // No route matched: the [tls] value still.
    Curl.Response missing = https("a.test", files, "/nothing-here", rootPem.toString());
    assertThat(missing.status()).isEqualTo(404);
    assertThat(missing.header("Strict-Transport-Security")).isEqualTo("max-age=31536000");
  }

  @Test
  void proxiedRequestsSayHttpsAndGetHsts() throws Exception {
    Curl.Response headers = https("a.test", files, "/app/headers", rootPem.toString());
    assertThat(headers.status()).isEqualTo(200);
    assertThat(headers.body()).contains("x-forwarded-proto: https");
    // The app's response passes through as bytes; berth's HSTS field is added to it.
    assertThat(headers.header("Strict-Transport-Security")).isEqualTo("max-age=31536000");
    Curl.Response big = https("a.test", files, "/app/big?size=3000000", rootPem.toString());
    assertThat(big.status()).isEqualTo(200);
    assertThat(big.body()).hasSize(3_000_000);
  }

  @Test
  void plainHttpOnTheTlsPortGets400AndGarbageIsClosedQuietly() throws Exception {
    Curl.Response response = Curl.get("http://127.0.0.1:" + files + "/hello.txt");
    assertThat(response.status()).isEqualTo(400);
    assertThat(response.body()).contains("The plain HTTP request was sent to HTTPS port");
    // A handshake record of garbage: closed, nothing in berth's log.
    try (Socket socket = new Socket("127.0.0.1", files)) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(new byte[] {22, 3, 1, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8});
      out.write("not a client hello at all".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      // Whatever comes (an alert at most), the connection ends.
      while (in.read() >= 0) {
        // drain
      }
    }
    try (Socket socket = new Socket("127.0.0.1", files)) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(new byte[] {0, 1, 2, 3, 4});
      assertThat(socket.getInputStream().read()).isEqualTo(-1);
    }
    assertThat(https("a.test", files, "/hello.txt", rootPem.toString()).status()).isEqualTo(200);
    assertThat(berth.output()).doesNotContain("Exception").doesNotContain("\tat ");
  }

  @Test
  void sslscanSeesOnlyTls12And13AndNoWeakCiphers() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/sslscan")), "sslscan missing");
    Process scan =
        new ProcessBuilder("sslscan", "--no-colour", "--sni-name=a.test", "127.0.0.1:" + files)
            .redirectErrorStream(true)
            .start();
    String out = new String(scan.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(scan.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(out).containsPattern("TLSv1\\.2\\s+enabled").containsPattern("TLSv1\\.3\\s+enabled");
    for (String old : List.of("SSLv2", "SSLv3", "TLSv1\\.0", "TLSv1\\.1")) {
      assertThat(out).as(out).containsPattern(old + "\\s+disabled");
    }
    List<String> accepted = new ArrayList<>();
    Matcher m =
        Pattern.compile("(?m)^(Preferred|Accepted)\\s+(TLSv1\\.[0-9])\\s+(\\d+) bits\\s+(\\S+)")
            .matcher(out);
    while (m.find()) {
      accepted.add(m.group(2) + " " + m.group(3) + " " + m.group(4));
    }
    assertThat(accepted).as(out).isNotEmpty();
    for (String cipher : accepted) {
      assertThat(cipher)
          .as(out)
          .doesNotContainPattern("RC4|DES|MD5|NULL|EXPORT|anon|CBC|SHA$|-SHA1?$")
          .matches("TLSv1\\.[23] (128|256) .*(GCM|CHACHA20|POLY1305).*");
    }
  }

  @Test
  void reloadServesAReplacedCertificateFileAndKeepsOpenConnections() throws Exception {
    Path certs = tmp.resolve("certs");
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("root", pki.root());
    try (SSLSocket before = client(trust, "b.test")) {
      assertThat(get(before, "b.test")).startsWith("HTTP/1.1 200");
      X509Certificate old = (X509Certificate) before.getSession().getPeerCertificates()[0];
      TestPki.write(pki.leaf("b.test", "new.b.test"), certs, "b");
      Cli reload = Cli.run(config, "reload");
      assertThat(reload.exit()).as(reload.out() + reload.err()).isZero();
      // The connection opened before goes on with its handshake's certificate.
      assertThat(get(before, "b.test")).startsWith("HTTP/1.1 200");
      Await.until(
          "the new certificate at a new handshake",
          () -> {
            try (SSLSocket after = client(trust, "b.test")) {
              X509Certificate now = (X509Certificate) after.getSession().getPeerCertificates()[0];
              return !now.equals(old);
            }
          });
      assertThat(https("new.b.test", files, "/hello.txt", rootPem.toString()).status())
          .isEqualTo(200);
    }
  }

  @Test
  void aHostAddedByAReloadGetsItsInternalCertificateAndItsRedirect() throws Exception {
    Files.writeString(
        config,
        Files.readString(config)
            + """

            [[routes]]
            host = "later.test"
            static = "%s/www"
            """
                .formatted(tmp),
        StandardCharsets.UTF_8);
    Cli reload = Cli.run(config, "reload");
    assertThat(reload.exit()).as(reload.out() + reload.err()).isZero();
    Path root = tmp.resolve("state/certs/internal/root.pem");
    assertThat(https("later.test", internal, "/hello.txt", root.toString()).status())
        .isEqualTo(200);
    Curl.Response redirect =
        Curl.get("http://127.0.0.1:" + plain + "/hello.txt", "-H", "Host: later.test");
    assertThat(redirect.status()).isEqualTo(308);
    assertThat(redirect.header("Location"))
        .isEqualTo("https://later.test:" + internal + "/hello.txt");
  }

  private SSLSocket client(KeyStore trust, String sni) throws Exception {
    TrustManagerFactory factory =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, factory.getTrustManagers(), null);
    SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", files);
    socket.setSoTimeout(10_000);
    SSLParameters parameters = socket.getSSLParameters();
    parameters.setServerNames(List.of(new SNIHostName(sni)));
    socket.setSSLParameters(parameters);
    socket.startHandshake();
    return socket;
  }

  /** One keep-alive request on {@code socket}: the status line, the rest read past. */
  private static String get(SSLSocket socket, String host) throws Exception {
    OutputStream out = socket.getOutputStream();
    out.write(
        ("GET /hello.txt HTTP/1.1\r\nHost: " + host + "\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
    out.flush();
    BufferedReader in =
        new BufferedReader(
            new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
    String status = in.readLine();
    int length = 0;
    for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
      if (line.toLowerCase().startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    for (int i = 0; i < length; i++) {
      in.read();
    }
    return status;
  }
}
