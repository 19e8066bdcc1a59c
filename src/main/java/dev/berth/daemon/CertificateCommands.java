package dev.berth.daemon;

import static java.util.Objects.requireNonNull;

import dev.berth.acme.AcmeCertificates;
import dev.berth.acme.HostStatus;
import dev.berth.acme.IssueException;
import dev.berth.control.ClientGoneException;
import dev.berth.control.CommandRegistry;
import dev.berth.control.ControlException;
import dev.berth.control.Replies;
import dev.berth.control.Request;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * The control commands about certificates from the ACME CA (docs/control-protocol.md): {@code
 * certs} (each host: issuer, not-after, next renewal, last error) and {@code certs_renew} (an order
 * now, answered when it is done). The rows also go into {@code status}.
 */
final class CertificateCommands {

  /** Longer than an order's own waits (each at most two minutes). */
  private static final Duration RENEW_TIMEOUT = Duration.ofMinutes(10);

  private final Supplier<AcmeCertificates> certificates;

  /**
   * @param certificates the running berth's, or null when no listener has tls = "acme"
   */
  CertificateCommands(Supplier<AcmeCertificates> certificates) {
    this.certificates = requireNonNull(certificates, "certificates");
  }

  void registerIn(CommandRegistry registry) {
    registry
        .register(
            "certs",
            (request, replies) -> {
              Map<String, Object> result = new LinkedHashMap<>();
              AcmeCertificates running = certificates.get();
              result.put("directory", running == null ? null : running.directory().toString());
              result.put("certificates", rows());
              replies.result(result);
            })
        .register("certs_renew", this::renew);
  }

  /** One row per host with a certificate from the ACME CA; none when no listener has one. */
  List<Map<String, Object>> rows() {
    AcmeCertificates running = certificates.get();
    List<Map<String, Object>> rows = new ArrayList<>();
    if (running == null) {
      return rows;
    }
    for (HostStatus host : running.status()) {
      rows.add(row(host));
    }
    return rows;
  }

  private static Map<String, Object> row(HostStatus host) {
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("host", host.host());
    row.put("issuer", host.issuer());
    row.put("not_after", host.notAfter() == null ? null : host.notAfter().toString());
    row.put("next_renewal", host.nextRenewal() == null ? null : host.nextRenewal().toString());
    row.put("ordering", host.ordering());
    row.put("last_error", host.lastError());
    return row;
  }

  /** args: host. Orders a certificate for it now; the result is the host's row once installed. */
  private void renew(Request request, Replies replies) throws Exception {
    String host = request.requireText("host");
    AcmeCertificates running = certificates.get();
    if (running == null) {
      throw new ControlException(
          ControlException.NOT_FOUND, "no listener has tls = \"acme\": no certificate to renew");
    }
    CompletableFuture<HostStatus> done = running.renew(host);
    try {
      replies.event("progress", Map.of("text", "ordering a certificate for " + host));
    } catch (ClientGoneException e) {
      // The order goes on to its end.
    }
    try {
      replies.result(row(done.get(RENEW_TIMEOUT.toSeconds(), TimeUnit.SECONDS)));
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IllegalArgumentException) {
        throw new ControlException(ControlException.NOT_FOUND, cause.getMessage());
      }
      if (cause instanceof IssueException) {
        throw new ControlException(
            ControlException.FAILED, "no certificate for " + host + ": " + cause.getMessage());
      }
      throw new ControlException(ControlException.FAILED, host + ": " + cause, cause);
    } catch (TimeoutException e) {
      throw new ControlException(
          ControlException.FAILED,
          host + ": the order is still running after " + RENEW_TIMEOUT.toMinutes() + " minutes");
    }
  }
}
