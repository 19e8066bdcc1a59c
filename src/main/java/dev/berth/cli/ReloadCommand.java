package dev.berth.cli;

import dev.berth.config.Config;
import dev.berth.config.ConfigException;
import dev.berth.config.ConfigLoader;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Command;

/**
 * {@code berth reload}: the running berth reads its config file again and applies what changed.
 * The file it reads is the one it was started with; {@code -c} only finds that berth.
 */
@Command(
    name = "reload",
    description = {
      "Make the running berth read its config file again and apply what changed, without dropping connections.",
      "Prints one line per change. An invalid file changes nothing (exit 2)."
    })
final class ReloadCommand extends ControlCommand {

  /** The daemon's error code for a file that is not valid (same as the daemon's Reloader). */
  static final String INVALID_CONFIG = "invalid_config";

  @Override
  int run(Config config) {
    return reload(config.stateDir());
  }

  /**
   * An edit that broke the file is for the daemon to report: it reads the file itself, and says
   * that it keeps running its current config. Its state directory is found leniently.
   */
  @Override
  int invalid(Path file, ConfigException e) {
    return reload(ConfigLoader.stateDirOf(file));
  }

  private int reload(Path stateDir) {
    PrintWriter out = spec.commandLine().getOut();
    return call(
        stateDir,
        "reload",
        args(),
        event -> out.println((event.kind().equals("progress") ? "  " : "") + event.fields().path("text").asText()),
        result -> {
          String file = result.path("file").asText();
          say("reloaded " + file + ": " + (result.path("changes").isEmpty() ? "no changes" : result.path("changes").size() + " change(s)"));
        });
  }
}
