package dev.berth.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.config.Config;
import dev.berth.control.ControlClient;
import dev.berth.control.ControlException;
import dev.berth.control.ControlProtocol;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code berth ping}: whether a daemon answers on the control socket of this config. Exit codes: 0
 * it answers, 3 no daemon running, 1 any other failure (permission denied, say).
 */
@Command(
    name = "ping",
    description = "Check that this config's daemon answers on its control socket.")
final class PingCommand extends BerthCommand.ConfigCommand {

  /** As {@code systemctl status}: 3 means not running. */
  static final int EXIT_NOT_RUNNING = 3;

  @Option(names = "--json", description = "Print the daemon's answer as one JSON object.")
  boolean json;

  @Override
  int run(Config config) {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try (ControlClient client =
        ControlClient.connect(config.stateDir().resolve(ControlProtocol.SOCKET_NAME))) {
      ObjectNode result = client.call("ping", null);
      if (json) {
        out.println(result);
      } else {
        out.println(
            "berth: daemon running, pid "
                + result.path("pid").asLong()
                + ", up "
                + result.path("uptime_seconds").asLong()
                + "s, version "
                + result.path("version").asText());
      }
      out.flush();
      return 0;
    } catch (ControlException e) {
      if (json) {
        ObjectNode error =
            com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        error.put("ok", false).put("error", e.forUser()).put("code", e.code());
        out.println(error);
        out.flush();
      } else {
        err.println(e.forUser());
        err.flush();
      }
      return ControlException.NOT_RUNNING.equals(e.code())
          ? EXIT_NOT_RUNNING
          : BerthCommand.EXIT_FAILED;
    }
  }
}
