package dev.berth.acme;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.testing.Pebble;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS-ALPN-01 against a real CA (pebble): the challenge certificate berth makes is what pebble
 * accepts. The TLS side here is the JDK's, answering "acme-tls/1" with whatever certificate was
 * offered last (berth's own store does this on its TLS listeners; its tests are the tls package's
 * and the end-to-end ones).
 */
class AcmeTlsAlpnPebbleTest {

  @TempDir Path dir;

  /** A TLS server that presents the offered challenge certificate to "acme-tls/1" handshakes. */
  static final class ChallengeResponder implements AlpnChallenges, AutoCloseable {
    final List<String> offered = new CopyOnWriteArrayList<>();
    final List<String> withdrawn = new CopyOnWriteArrayList<>();
    private final ServerSocket server;
    private final Thread acceptor;
    private volatile SSLContext context;

    ChallengeResponder() throws IOException {
      server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      acceptor = Thread.ofVirtual().start(this::accept);
    }

    int port() {
      return server.getLocalPort();
    }

    private void accept() {
      while (!server.isClosed()) {
        try (Socket plain = server.accept()) {
          SSLContext current = context;
          if (current == null) {
            continue;
          }
          // The JDK's socket is re-layered with the context of the moment.
          SSLSocket tls =
              (SSLSocket)
                  current.getSocketFactory().createSocket(plain, null, plain.getPort(), false);
          tls.setUseClientMode(false);
          SSLParameters parameters = tls.getSSLParameters();
          parameters.setApplicationProtocols(new String[] {"acme-tls/1"});
          tls.setSSLParameters(parameters);
          try {
            tls.startHandshake();
          } catch (IOException e) {
            // The CA's probe may hang up; the next one is answered.
          }
          tls.close();
        } catch (IOException e) {
          // Closed, or one connection failed.
        }
      }
    }

    @Override
    public void offer(String host, PrivateKey key, X509Certificate certificate) {
      try {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("challenge", key, new char[0], new X509Certificate[] {certificate});
        KeyManagerFactory keys = KeyManagerFactory.getInstance("SunX509");
        keys.init(store, new char[0]);
        SSLContext made = SSLContext.getInstance("TLS");
        made.init(keys.getKeyManagers(), null, null);
        context = made;
        offered.add(host);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public void withdraw(String host) {
      context = null;
      withdrawn.add(host);
    }

    @Override
    public void close() throws IOException {
      server.close();
      try {
        acceptor.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Test
  void aHostGetsACertificateByTlsAlpn01(@TempDir Path state) throws Exception {
    Assumptions.assumeTrue(Pebble.installed(), "pebble is not installed");
    try (ChallengeResponder responder = new ChallengeResponder();
        Pebble pebble =
            Pebble.start(state.resolve("pebble"), 1, responder.port(), Duration.ofDays(90))) {
      LinkedBlockingQueue<List<X509Certificate>> installed = new LinkedBlockingQueue<>();
      try (AcmeCertificates certificates =
          new AcmeCertificates(
              state,
              new AcmeServer(pebble.directory(), pebble.trust(), null),
              new HttpChallenges(),
              responder,
              (host, key, chain) -> installed.add(chain),
              System.out::println)) {
        certificates.challenges(List.of(ChallengeKind.TLS_ALPN_01));
        certificates.manage(List.of("alpn.test"));

        List<X509Certificate> chain = installed.poll(60, TimeUnit.SECONDS);
        assertThat(chain).as("a certificate by TLS-ALPN-01\n" + pebble.logs()).isNotNull();
        assertThat(chain.get(0).getSubjectAlternativeNames())
            .extracting(name -> (Object) name.get(1))
            .containsExactly((Object) "alpn.test");
        assertThat(responder.offered).containsExactly("alpn.test");
        assertThat(responder.withdrawn).containsExactly("alpn.test");
      }
    }
  }
}
