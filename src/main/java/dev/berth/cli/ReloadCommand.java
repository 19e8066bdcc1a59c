package dev.berth.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.berth.config.Config;
import dev.berth.config.ConfigException;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Command;

/**
 * {@code berth reload}: the running berth reads its config file again and applies what changed. The
 * file it reads is the one it was started with; {@code -c} finds that berth (through the file's
 * state_dir), and is checked here first.
 */
@Command(
    name = "reload",
    description = {
      "Make the running berth apply what changed in its config file.",
      "It reads the file again and applies the difference without dropping connections.",
      "Prints one line per change. An invalid file changes nothing (exit 2)."
    })
final class ReloadCommand extends ControlCommand {

  /** The daemon's error code for a file that is not valid. */
  static final String INVALID_CONFIG = "invalid_config";

  @Override
  int run(Config config) {
    PrintWriter out = spec.commandLine().getOut();
    return call(
        config,
        "reload",
        args(),
        // A redeploy's steps, indented under the change they belong to.
        event ->
            out.println(
                (event.kind().equals("progress") ? "  " : "")
                    + event.fields().path("text").asText()),
        result ->
            say(
                "reloaded "
                    + result.path("file").asText()
                    + ": "
                    + (result.path("changes").isEmpty()
                        ? "no changes"
                        : result.path("changes").size() + " change(s)")));
  }

  /**
   * An invalid file is not sent: the daemon would find the same problems in it, and without a valid
   * file its state_dir, and so the daemon, may not even be known.
   */
  @Override
  int invalid(Path file, ConfigException e) {
    String notSent = "berth: reload not sent: the running berth keeps its current config";
    if (json) {
      // The same answer as the daemon's for an invalid file.
      PrintWriter out = spec.commandLine().getOut();
      out.println(
          JsonNodeFactory.instance
              .objectNode()
              .put("ok", false)
              .put("error", notSent + "\n" + String.join("\n", e.problems()))
              .put("code", INVALID_CONFIG));
      out.flush();
      return BerthCommand.EXIT_USAGE;
    }
    int exit = super.invalid(file, e);
    PrintWriter err = spec.commandLine().getErr();
    err.println(notSent);
    err.flush();
    return exit;
  }
}
