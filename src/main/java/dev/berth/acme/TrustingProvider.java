package dev.berth.acme;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.shredzone.acme4j.connector.HttpConnector;
import org.shredzone.acme4j.connector.NetworkSettings;
import org.shredzone.acme4j.provider.GenericAcmeProvider;

/**
 * acme4j's provider for any directory URL, whose HTTPS trusts the JDK's roots plus those of {@code
 * acme_trust} (a private CA's root; pebble's in tests). acme4j's own pebble provider trusts only
 * pebble's published test root, which a pebble started with another certificate does not use.
 */
final class TrustingProvider extends GenericAcmeProvider {

  private final SSLContext sslContext;

  private TrustingProvider(SSLContext sslContext) {
    this.sslContext = sslContext;
  }

  /**
   * @param extraRoots a PEM file of roots to trust besides the JDK's, or null
   * @throws IOException naming the file when it cannot be read or holds no certificate
   */
  static TrustingProvider trusting(Path extraRoots) throws IOException {
    if (extraRoots == null) {
      return new TrustingProvider(null);
    }
    try {
      KeyStore anchors = KeyStore.getInstance(KeyStore.getDefaultType());
      anchors.load(null, null);
      int n = 0;
      for (X509Certificate root : jdkTrustManager().getAcceptedIssuers()) {
        anchors.setCertificateEntry("jdk-" + n++, root);
      }
      for (Certificate root : readCertificates(extraRoots)) {
        anchors.setCertificateEntry("acme_trust-" + n++, root);
      }
      TrustManagerFactory factory =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(anchors);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, factory.getTrustManagers(), null);
      return new TrustingProvider(context);
    } catch (GeneralSecurityException e) {
      throw new IOException(extraRoots + ": " + e.getMessage(), e);
    }
  }

  private static Collection<? extends Certificate> readCertificates(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      Collection<? extends Certificate> roots =
          CertificateFactory.getInstance("X.509").generateCertificates(in);
      if (roots.isEmpty()) {
        throw new IOException(file + ": no PEM certificate in it");
      }
      return roots;
    } catch (java.security.cert.CertificateException e) {
      throw new IOException(file + ": not a PEM certificate (" + e.getMessage() + ")", e);
    }
  }

  private static X509TrustManager jdkTrustManager() throws GeneralSecurityException {
    TrustManagerFactory factory =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init((KeyStore) null);
    for (TrustManager manager : factory.getTrustManagers()) {
      if (manager instanceof X509TrustManager x509) {
        return x509;
      }
    }
    throw new GeneralSecurityException("the JDK has no X.509 trust manager");
  }

  @Override
  protected HttpConnector createHttpConnector(NetworkSettings settings) {
    if (sslContext == null) {
      return super.createHttpConnector(settings);
    }
    return new HttpConnector(settings) {
      @Override
      public HttpClient.Builder createClientBuilder() {
        return super.createClientBuilder().sslContext(sslContext);
      }
    };
  }
}
