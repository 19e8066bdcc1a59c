package dev.berth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.config.Config;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code berth certs}: the certificates the running berth has from its ACME CA, and {@code berth
 * certs renew HOST}, which orders one now.
 */
@Command(
    name = "certs",
    description = {
      "Show the certificates from the ACME CA (tls = \"acme\" listeners).",
      "For each host: issuer, expiry, next renewal and the last error."
    },
    subcommands = CertsCommand.Renew.class)
final class CertsCommand extends ControlCommand {

  @Override
  int run(Config config) {
    return call(
        config, "certs", args(), event -> {}, result -> print(spec.commandLine().getOut(), result));
  }

  private static void print(PrintWriter out, JsonNode result) {
    JsonNode hosts = result.path("certificates");
    if (hosts.isEmpty()) {
      out.println("berth: no listener has tls = \"acme\"");
      return;
    }
    printTable(out, hosts);
    printErrors(out, hosts);
  }

  /** HOST, ISSUER, EXPIRES, RENEWAL: one row per host. */
  static void printTable(PrintWriter out, JsonNode hosts) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"HOST", "ISSUER", "EXPIRES", "RENEWAL"});
    for (JsonNode host : hosts) {
      rows.add(
          new String[] {
            host.path("host").asText(),
            text(host.path("issuer"), "(none yet)"),
            text(host.path("not_after"), "-"),
            host.path("ordering").asBoolean()
                ? "ordering now"
                : text(host.path("next_renewal"), "-")
          });
    }
    AppCommands.printTable(out, rows);
  }

  /** A line per host whose last order failed, in the CA's words. */
  static void printErrors(PrintWriter out, JsonNode hosts) {
    for (JsonNode host : hosts) {
      if (!host.path("last_error").isNull() && host.has("last_error")) {
        out.println(host.path("host").asText() + ": " + host.path("last_error").asText());
      }
    }
  }

  private static String text(JsonNode value, String otherwise) {
    return value.isNull() || value.isMissingNode() ? otherwise : value.asText();
  }

  @Command(
      name = "renew",
      description = {
        "Order a new certificate for HOST now, and wait for it.",
        "The new certificate serves new connections at once; none is closed."
      })
  static final class Renew extends ControlCommand {
    @Parameters(index = "0", paramLabel = "HOST")
    String host;

    @Override
    int run(Config config) {
      return call(
          config,
          "certs_renew",
          args().put("host", host),
          event -> say(event.fields().path("text").asText()),
          result ->
              say(
                  result.path("host").asText()
                      + ": new certificate from "
                      + result.path("issuer").asText()
                      + ", valid until "
                      + result.path("not_after").asText()
                      + "; next renewal "
                      + result.path("next_renewal").asText()));
    }
  }
}
