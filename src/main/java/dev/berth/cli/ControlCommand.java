package dev.berth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.config.Config;
import dev.berth.control.ControlClient;
import dev.berth.control.ControlException;
import dev.berth.control.ControlProtocol;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.function.Consumer;
import picocli.CommandLine.Option;

/**
 * A command that asks the running daemon of a config over its control socket. Errors are one line
 * (or one JSON object with --json); exit codes: 0 done, 1 failed, 2 bad usage, 3 no daemon running.
 */
abstract class ControlCommand extends BerthCommand.ConfigCommand {

  @Option(
      names = "--json",
      description = "Print the daemon's answer as JSON (one object per line).")
  boolean json;

  /** Sends the request; events go to {@code onEvent}. @return the exit code */
  final int call(
      Config config,
      String command,
      ObjectNode args,
      Consumer<ControlClient.Event> onEvent,
      Consumer<JsonNode> onResult) {
    return call(config.stateDir(), command, args, onEvent, onResult);
  }

  /**
   * {@link #call(Config, String, ObjectNode, Consumer, Consumer)} to the berth of this state
   * directory.
   */
  final int call(
      Path stateDir,
      String command,
      ObjectNode args,
      Consumer<ControlClient.Event> onEvent,
      Consumer<JsonNode> onResult) {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try (ControlClient client =
        ControlClient.connect(stateDir.resolve(ControlProtocol.SOCKET_NAME))) {
      ObjectNode result =
          client.call(
              command,
              args,
              event -> {
                if (json) {
                  ObjectNode line =
                      JsonNodeFactory.instance.objectNode().put("event", event.kind());
                  line.setAll(event.fields());
                  out.println(line);
                } else {
                  onEvent.accept(event);
                }
                out.flush();
              });
      if (json) {
        out.println(result);
      } else {
        onResult.accept(result);
      }
      out.flush();
      return 0;
    } catch (ControlException e) {
      if (json) {
        out.println(
            JsonNodeFactory.instance
                .objectNode()
                .put("ok", false)
                .put("error", e.forUser())
                .put("code", e.code()));
        out.flush();
      } else {
        err.println(e.forUser());
        err.flush();
      }
      return switch (e.code()) {
        case ControlException.NOT_RUNNING -> PingCommand.EXIT_NOT_RUNNING;
        // A config that berth reload found invalid is a bad config, as for berth check.
        case ControlException.BAD_REQUEST, ReloadCommand.INVALID_CONFIG -> BerthCommand.EXIT_USAGE;
        default -> BerthCommand.EXIT_FAILED;
      };
    }
  }

  /** A line for a human, on standard output. */
  final void say(String line) {
    spec.commandLine().getOut().println("berth: " + line);
  }

  static ObjectNode args() {
    return JsonNodeFactory.instance.objectNode();
  }
}
