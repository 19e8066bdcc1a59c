package dev.berth.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.config.AccessLogSpec;
import dev.berth.config.Config;
import dev.berth.config.EdgeSettings;
import dev.berth.config.Listener;
import dev.berth.config.ListenerTls;
import dev.berth.config.Route;
import dev.berth.config.RouteLimits;
import dev.berth.config.TlsSettings;
import dev.berth.testing.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stores a config gets: placeholders for tls = "acme" hosts until a real certificate is put,
 * berth's internal CA kept across starts with a leaf per routed host, and which hosts a plain
 * listener redirects.
 */
class TlsSitesTest {

  @TempDir Path dir;

  private Config config(List<Listener> listeners, String... hosts) {
    List<Route> routes =
        java.util.Arrays.stream(hosts)
            .map(
                host ->
                    new Route(
                        host,
                        "/",
                        new Route.StaticTarget(dir, "", false, false),
                        false,
                        RouteLimits.standard(),
                        new AccessLogSpec(
                            false, dir.resolve("a.log"), AccessLogSpec.Format.COMBINED),
                        1))
            .toList();
    return new Config(
        dir.resolve("berth.toml"),
        dir.resolve("state"),
        Duration.ofSeconds(1),
        EdgeSettings.standard(),
        new AccessLogSpec(false, dir.resolve("a.log"), AccessLogSpec.Format.COMBINED),
        listeners,
        Map.of(),
        routes,
        TlsSettings.standard());
  }

  @Test
  void acmeHostsGetSelfSignedPlaceholdersUntilTheirCertificateIsPut() throws Exception {
    Listener https = new Listener("", 443, ListenerTls.ACME);
    Config config =
        config(List.of(new Listener("", 80), https), "example.com", "*.example.com", "");
    TlsSites sites = TlsSites.of(config, ServerContexts::jdk);
    CertificateStore store = sites.acme();
    assertThat(store).isNotNull();
    assertThat(TlsSites.acmeHosts(config)).containsExactly("example.com");

    X509Certificate placeholder = store.chain("example.com").orElseThrow().get(0);
    assertThat(HostNames.of(placeholder)).containsExactly("example.com");
    assertThat(placeholder.getSubjectX500Principal())
        .isEqualTo(placeholder.getIssuerX500Principal());
    assertThat(store.placeholder("example.com")).isTrue();
    assertThat(sites.httpsAuthority("example.com")).isEqualTo("example.com");
    assertThat(sites.httpsAuthority("other.com")).isNull();

    TestPki pki = new TestPki();
    TestPki.Leaf issued = pki.leaf("example.com");
    store.put(
        "example.com", issued.key(), new X509Certificate[] {issued.certificate(), pki.root()});
    assertThat(store.placeholder("example.com")).isFalse();
    assertThat(store.chain("example.com").orElseThrow())
        .containsExactly(issued.certificate(), pki.root());

    // A reload keeps what was put, adds a placeholder for a new host, drops a host gone.
    sites.reload(config(config.listeners(), "www.example.com"));
    assertThat(store.chain("example.com")).isEmpty();
    assertThat(store.placeholder("www.example.com")).isTrue();
    sites.reload(config(config.listeners(), "www.example.com", "example.com"));
    assertThat(store.placeholder("example.com")).isTrue();
    sites.close();
  }

  @Test
  void internalCaKeepsItsRootAcrossStartsAndIssuesALeafPerHost() throws Exception {
    Listener https = new Listener("127.0.0.1", 8443, ListenerTls.INTERNAL);
    Config config = config(List.of(https), "app.test", "*.wild.test");
    TlsSites first = TlsSites.of(config, ServerContexts::jdk);
    Path root = first.internalRoot();
    assertThat(root).isEqualTo(dir.resolve("state/certs/internal/root.pem"));
    Path key = root.resolveSibling("root.key");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key)))
        .isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(root.getParent())))
        .isEqualTo("rwx------");
    String rootPem = Files.readString(root);
    first.close();

    TlsSites second = TlsSites.of(config, ServerContexts::jdk);
    assertThat(Files.readString(root)).isEqualTo(rootPem);
    X509Certificate rootCertificate =
        dev.berth.config.CertificateFiles.certificates(root, false).get(0);
    assertThat(second.httpsAuthority("app.test")).isEqualTo("app.test:8443");
    assertThat(second.httpsAuthority("x.wild.test")).isEqualTo("x.wild.test:8443");
    second.close();

    // The leaf names the host and is signed by the root kept on disk.
    CertificateStore store = second.store(https);
    X509Certificate leaf = store.chain("app.test").orElseThrow().get(0);
    assertThat(HostNames.of(leaf)).containsExactly("app.test");
    leaf.verify(rootCertificate.getPublicKey());
    X509Certificate wild = store.chain("x.wild.test").orElseThrow().get(0);
    assertThat(HostNames.of(wild)).containsExactly("*.wild.test");
  }

  @Test
  void fileListenersRedirectTheNamesInTheirCertificates() throws Exception {
    TestPki pki = new TestPki();
    Path a = TestPki.write(pki.leaf("a.test", "*.a.test"), dir, "a");
    Listener https =
        new Listener(
            "",
            4443,
            new ListenerTls.Files(
                List.of(new ListenerTls.CertificateFile(a, dir.resolve("a.key")))));
    TlsSites sites = TlsSites.of(config(List.of(new Listener("", 80), https)), ServerContexts::jdk);
    assertThat(sites.httpsAuthority("A.TEST")).isEqualTo("a.test:4443");
    assertThat(sites.httpsAuthority("www.a.test")).isEqualTo("www.a.test:4443");
    assertThat(sites.httpsAuthority("b.test")).isNull();
    assertThat(sites.acme()).isNull();
    assertThat(sites.internalRoot()).isNull();
    assertThat(sites.handshake(new Listener("", 80))).isNull();
    assertThat(sites.handshake(https)).isInstanceOf(CertificatePicker.class);
    sites.close();
  }
}
