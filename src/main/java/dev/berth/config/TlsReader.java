package dev.berth.config;

import static dev.berth.config.Types.show;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the TLS keys: the [tls] table and each listener's tls key, with the PEM files they name
 * read and checked now (a bad pair or an expired certificate is a problem of check, with its line).
 */
final class TlsReader {

  private final TableReader reader;

  TlsReader(TableReader reader) {
    this.reader = reader;
  }

  /** The [tls] table, its acme_trust file read and checked now. */
  TlsSettings settings(Table top) {
    TlsSettings d = TlsSettings.standard();
    Table t = reader.table(top, TopKeys.TLS);
    if (t == null) {
      return d;
    }
    reader.onlyKeys(t, Section.TLS);
    Path trust = reader.get(t, TlsKeys.ACME_TRUST);
    if (trust != null) {
      try {
        CertificateFiles.certificates(trust, false);
      } catch (CertificateFiles.Problem p) {
        reader.report(
            t.child(TlsKeys.ACME_TRUST.name()),
            show(t.get(TlsKeys.ACME_TRUST.name()))
                + ": "
                + p.getMessage()
                + " (expected: a PEM file of CA certificates)");
      }
    }
    return new TlsSettings(
        reader.get(t, TlsKeys.EMAIL_KEY),
        reader.get(t, TlsKeys.ACME_DIRECTORY),
        trust,
        reader.get(t, TlsKeys.HSTS_KEY),
        reader.get(t, TlsKeys.UNKNOWN_NAMES));
  }

  /** A listener's tls key: plain when absent. */
  ListenerTls listener(Table listener) {
    JsonNode value = reader.get(listener, TlsKeys.LISTENER_TLS);
    if (value == null) {
      return ListenerTls.PLAIN;
    }
    if (value.isTextual()) {
      return value.textValue().equalsIgnoreCase("acme") ? ListenerTls.ACME : ListenerTls.INTERNAL;
    }
    String path = listener.child(TlsKeys.LISTENER_TLS.name());
    List<Table> tables = new ArrayList<>();
    if (value.isObject()) {
      tables.add(new Table(path, value));
    } else {
      for (int i = 0; i < value.size(); i++) {
        Table t =
            reader.table(
                KeyLines.index(path, i),
                value.get(i),
                "a table { certificate = \"cert.pem\", key = \"key.pem\" }");
        if (t != null) {
          tables.add(t);
        }
      }
    }
    List<ListenerTls.CertificateFile> pairs = new ArrayList<>();
    for (Table t : tables) {
      ListenerTls.CertificateFile pair = certificateFile(t);
      if (pair != null) {
        pairs.add(pair);
      }
    }
    return pairs.isEmpty() ? ListenerTls.PLAIN : new ListenerTls.Files(pairs);
  }

  /** One { certificate, key } table, its files read and checked now. */
  private ListenerTls.CertificateFile certificateFile(Table t) {
    reader.onlyKeys(t, Section.LISTENER_CERTIFICATE);
    Path certificate = reader.require(t, TlsKeys.CERTIFICATE);
    Path key = reader.require(t, TlsKeys.KEY);
    if (certificate == null || key == null) {
      return null;
    }
    try {
      CertificateFiles.read(certificate, key, Instant.now());
    } catch (CertificateFiles.Problem p) {
      String which = p.ofKey() ? TlsKeys.KEY.name() : TlsKeys.CERTIFICATE.name();
      reader.report(
          t.child(which),
          show(t.get(which))
              + ": "
              + p.getMessage()
              + (p.ofKey()
                  ? " (expected: the certificate's private key, PEM)"
                  : " (expected: a PEM certificate chain, valid now)"));
    }
    return new ListenerTls.CertificateFile(certificate, key);
  }
}
