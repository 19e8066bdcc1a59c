package dev.berth.testing;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A real ACME CA for tests: Debian's {@code pebble}, with {@code pebble-challtestsrv} as its DNS
 * (every name resolves to 127.0.0.1, no AAAA), on free ports. Pebble validates HTTP-01 on {@code
 * httpPort} and TLS-ALPN-01 on {@code tlsPort}: the test's listeners. Its own HTTPS uses a
 * certificate for localhost/127.0.0.1 made here, signed by a root the test trusts through {@link
 * #trust()} (berth's {@code acme_trust}). Both processes are stopped by {@link #close()}.
 */
public final class Pebble implements AutoCloseable {

  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

  private final Path dir;
  private final int acmePort;
  private final int managementPort;
  private final int dnsManagementPort;
  private final List<Process> processes = new ArrayList<>();
  private SSLContext trusting;

  private Pebble(Path dir, int acmePort, int managementPort, int dnsManagementPort) {
    this.dir = dir;
    this.acmePort = acmePort;
    this.managementPort = managementPort;
    this.dnsManagementPort = dnsManagementPort;
  }

  /** Whether pebble and pebble-challtestsrv are installed (scripts/install-deps.sh --tests). */
  public static boolean installed() {
    return Files.isExecutable(Path.of("/usr/bin/pebble"))
        && Files.isExecutable(Path.of("/usr/bin/pebble-challtestsrv"));
  }

  /**
   * Starts pebble and its DNS, and returns once pebble answers.
   *
   * @param validity the lifetime of the certificates pebble issues
   * @param blocked names pebble refuses to issue for (its domainBlocklist)
   */
  public static Pebble start(
      Path dir, int httpPort, int tlsPort, Duration validity, String... blocked) throws Exception {
    Files.createDirectories(dir);
    Pebble pebble =
        new Pebble(dir, BerthProcess.freePort(), BerthProcess.freePort(), BerthProcess.freePort());
    try {
      pebble.launch(httpPort, tlsPort, validity, blocked);
    } catch (Exception | Error e) {
      pebble.close();
      throw e;
    }
    return pebble;
  }

  private void launch(int httpPort, int tlsPort, Duration validity, String... blocked)
      throws Exception {
    writeServerCertificate();
    int dnsPort = BerthProcess.freePort();
    processes.add(
        spawn(
            "challtestsrv.log",
            "/usr/bin/pebble-challtestsrv",
            "-dns01",
            "127.0.0.1:" + dnsPort,
            "-http01",
            "",
            "-https01",
            "",
            "-tlsalpn01",
            "",
            "-management",
            "127.0.0.1:" + dnsManagementPort,
            "-defaultIPv6",
            ""));
    StringBuilder blocklist = new StringBuilder();
    for (String name : blocked) {
      blocklist.append(blocklist.isEmpty() ? "" : ",").append('"').append(name).append('"');
    }
    Path config =
        BerthProcess.write(
            dir.resolve("pebble.json"),
            """
            {"pebble": {
              "listenAddress": "127.0.0.1:%d",
              "managementListenAddress": "127.0.0.1:%d",
              "certificate": "%s",
              "privateKey": "%s",
              "httpPort": %d,
              "tlsPort": %d,
              "ocspResponderURL": "",
              "externalAccountBindingRequired": false,
              "certificateValidityPeriod": %d,
              "domainBlocklist": [%s]
            }}
            """
                .formatted(
                    acmePort,
                    managementPort,
                    dir.resolve("pebble-cert.pem"),
                    dir.resolve("pebble-key.pem"),
                    httpPort,
                    tlsPort,
                    validity.toSeconds(),
                    blocklist));
    awaitPort(dnsManagementPort);
    processes.add(
        spawn(
            "pebble.log",
            "/usr/bin/pebble",
            "-config",
            config.toString(),
            "-dnsserver",
            "127.0.0.1:" + dnsPort));
    awaitPort(acmePort);
    awaitPort(managementPort);
  }

  private Process spawn(String log, String... command) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(command);
    // Full speed (no random sleeps before validating), no nonce refused on purpose, every order
    // validated afresh (no authorization reused).
    builder.environment().put("PEBBLE_VA_NOSLEEP", "1");
    builder.environment().put("PEBBLE_WFE_NONCEREJECT", "0");
    builder.environment().put("PEBBLE_AUTHZREUSE", "0");
    builder.redirectErrorStream(true).redirectOutput(dir.resolve(log).toFile());
    return LeftoverProcesses.mark(builder).start();
  }

  private void awaitPort(int port) {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (true) {
      for (Process process : processes) {
        if (!process.isAlive()) {
          throw new IllegalStateException(
              process.info().command().orElse("pebble") + " exited: " + logs());
        }
      }
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
        return;
      } catch (IOException e) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("pebble not listening on " + port + ": " + logs());
        }
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  /** pebble's and challtestsrv's output so far. */
  public String logs() {
    StringBuilder text = new StringBuilder();
    for (String log : List.of("challtestsrv.log", "pebble.log")) {
      try {
        text.append(Files.readString(dir.resolve(log)));
      } catch (IOException e) {
        // Not written yet.
      }
    }
    return text.toString();
  }

  /** A root and, signed by it, pebble's HTTPS certificate for localhost and 127.0.0.1. */
  private void writeServerCertificate() throws Exception {
    KeyPair rootKey = ecKey();
    X500Name rootName = new X500Name("CN=berth test root for pebble");
    X509Certificate root =
        sign(
            new JcaX509v3CertificateBuilder(
                    rootName, BigInteger.ONE, from(), until(), rootName, rootKey.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(true)),
            rootKey);
    KeyPair serverKey = ecKey();
    X509Certificate server =
        sign(
            new JcaX509v3CertificateBuilder(
                    rootName,
                    BigInteger.TWO,
                    from(),
                    until(),
                    new X500Name("CN=localhost"),
                    serverKey.getPublic())
                .addExtension(
                    Extension.subjectAlternativeName,
                    false,
                    new GeneralNames(
                        new GeneralName[] {
                          new GeneralName(GeneralName.dNSName, "localhost"),
                          new GeneralName(GeneralName.iPAddress, "127.0.0.1")
                        })),
            rootKey);
    Files.writeString(dir.resolve("trust.pem"), pem(root));
    Files.writeString(dir.resolve("pebble-cert.pem"), pem(server));
    Files.writeString(
        dir.resolve("pebble-key.pem"),
        "-----BEGIN PRIVATE KEY-----\n"
            + Base64.getMimeEncoder(64, new byte[] {'\n'})
                .encodeToString(serverKey.getPrivate().getEncoded())
            + "\n-----END PRIVATE KEY-----\n");
    KeyStore anchors = KeyStore.getInstance(KeyStore.getDefaultType());
    anchors.load(null, null);
    anchors.setCertificateEntry("root", root);
    TrustManagerFactory factory =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init(anchors);
    trusting = SSLContext.getInstance("TLS");
    trusting.init(null, factory.getTrustManagers(), null);
  }

  private static Date from() {
    return Date.from(Instant.now().minusSeconds(60));
  }

  private static Date until() {
    return Date.from(Instant.now().plus(Duration.ofDays(1)));
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, KeyPair key)
      throws Exception {
    byte[] der =
        builder
            .build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate()))
            .getEncoded();
    return (X509Certificate)
        CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
  }

  private static KeyPair ecKey() throws Exception {
    java.security.KeyPairGenerator generator = java.security.KeyPairGenerator.getInstance("EC");
    generator.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
    return generator.generateKeyPair();
  }

  private static String pem(X509Certificate certificate) throws Exception {
    return "-----BEGIN CERTIFICATE-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(certificate.getEncoded())
        + "\n-----END CERTIFICATE-----\n";
  }

  /** pebble's ACME directory URL. */
  public URI directory() {
    return URI.create("https://127.0.0.1:" + acmePort + "/dir");
  }

  /** The root of pebble's own HTTPS certificate (berth's {@code acme_trust}). */
  public Path trust() {
    return dir.resolve("trust.pem");
  }

  /**
   * The root that pebble's issued certificates chain to (made anew at each start), written to a PEM
   * file, for curl's {@code --cacert}.
   */
  public Path issuingRoot() throws Exception {
    Path file = dir.resolve("issuing-root.pem");
    Files.writeString(file, management("/roots/0"));
    return file;
  }

  /** The issuing root as a certificate. */
  public X509Certificate issuingRootCertificate() throws Exception {
    try (InputStream in = Files.newInputStream(issuingRoot())) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
  }

  private String management(String path) throws Exception {
    try (HttpClient client = HttpClient.newBuilder().sslContext(trusting).build()) {
      HttpResponse<String> response =
          client.send(
              HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + managementPort + path))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new IOException(path + ": " + response.statusCode() + " " + response.body());
      }
      return response.body();
    }
  }

  /** Makes {@code host} resolve to {@code address} (an A record) for pebble. */
  public void resolve(String host, String address) throws Exception {
    try (HttpClient client = HttpClient.newHttpClient()) {
      HttpResponse<String> response =
          client.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + dnsManagementPort + "/add-a"))
                  .POST(
                      HttpRequest.BodyPublishers.ofString(
                          "{\"host\":\"" + host + ".\",\"addresses\":[\"" + address + "\"]}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new IOException("add-a: " + response.statusCode() + " " + response.body());
      }
    }
  }

  @Override
  public void close() {
    for (Process process : processes) {
      process.destroy();
    }
    for (Process process : processes) {
      try {
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }
}
