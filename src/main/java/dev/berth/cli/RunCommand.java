package dev.berth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.berth.config.App;
import dev.berth.config.Config;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import sun.misc.Signal;

/**
 * {@code berth run APP -- CMD...}: a one-off command in the app's current release, as its user,
 * with its processes' environment. In the foreground the daemon says how ({@code run_spec}) and
 * this process starts the command with its own standard input, output and error: with a terminal,
 * the command has that terminal (it stays in the terminal's foreground process group, so Ctrl-C
 * reaches it, and no pseudo-terminal needs copying); without one, its output passes through as is.
 * The exit code is the command's. With {@code --detach} the daemon runs it ({@code run_detach}).
 */
@Command(
    name = "run",
    description = {
      "Run a one-off command in an app's release, as its processes run.",
      "In the app's current release, as its user, with its processes' environment.",
      "For example: berth run blog -- python3 manage.py createsuperuser",
      "One argument with a blank is a shell command line: berth run blog -- 'a && b'.",
      "Exits with the command's exit code (128+N when killed by signal N).",
      "--detach runs it in the background, its output in the app's log (berth logs APP --type run)."
    })
final class RunCommand extends ControlCommand {

  /** What a terminal user's command needs of their terminal, which the app's processes lack. */
  private static final List<String> TERMINAL_VARIABLES = List.of("TERM", "COLUMNS", "LINES");

  @Parameters(index = "0", paramLabel = "APP")
  String app;

  @Parameters(index = "1..*", arity = "1..*", paramLabel = "CMD")
  List<String> command = new ArrayList<>();

  @Option(
      names = "--type",
      paramLabel = "TYPE",
      description = "Run with this process type's BERTH_PROCESS_TYPE (default: run).")
  String type;

  @Option(
      names = {"-d", "--detach"},
      description = "Run it in the background; its output goes to the app's log.")
  boolean detach;

  @Override
  int run(Config config) {
    PrintWriter err = spec.commandLine().getErr();
    if (!spec.commandLine().getParseResult().originalArgs().contains("--")) {
      // Without it, the command's own options would be read as berth's (-c is --config).
      err.println("berth: run: put the command after --: berth run " + app + " -- CMD [ARGS...]");
      return BerthCommand.EXIT_USAGE;
    }
    App definition = config.apps().get(app);
    if (definition == null) {
      err.println(
          "berth: run: no app \""
              + app
              + "\" in "
              + config.file()
              + " (it has: "
              + String.join(", ", config.apps().keySet())
              + ")");
      return BerthCommand.EXIT_USAGE;
    }
    if (definition.external()) {
      err.println(
          "berth: run: "
              + app
              + " is not run by berth (it has upstreams): there is no release to run in");
      return BerthCommand.EXIT_USAGE;
    }
    var args = args().put("app", app);
    if (type != null) {
      args.put("type", type);
    }
    ArrayNode argv = args.putArray("command");
    command.forEach(argv::add);
    if (detach) {
      return call(
          config,
          "run_detach",
          args,
          event -> {},
          result ->
              say(
                  result.path("tag").asText()
                      + " started in release "
                      + result.path("release").asInt()
                      + " (pid "
                      + result.path("pid").asLong()
                      + "); its output: berth logs "
                      + app
                      + " --type run"));
    }
    if (json) {
      err.println("berth: run: --json goes with --detach only (the command's output is its own)");
      return BerthCommand.EXIT_USAGE;
    }
    JsonNode[] answer = new JsonNode[1];
    int code = call(config, "run_spec", args, event -> {}, result -> answer[0] = result);
    return code != 0 ? code : runHere(answer[0], err);
  }

  /** Starts the command as the daemon said, with this process's stdio, and waits for its end. */
  private static int runHere(JsonNode spec, PrintWriter err) {
    List<String> argv = new ArrayList<>();
    spec.path("argv").forEach(arg -> argv.add(arg.asText()));
    ProcessBuilder builder =
        new ProcessBuilder(argv).directory(new File(spec.path("dir").asText())).inheritIO();
    Map<String, String> env = builder.environment();
    env.clear();
    spec.path("env").properties().forEach(e -> env.put(e.getKey(), e.getValue().asText()));
    for (String name : TERMINAL_VARIABLES) {
      String value = System.getenv(name);
      if (value != null) {
        env.putIfAbsent(name, value);
      }
    }
    Process process;
    // Before the start: a signal that has a handler is back to its default in the child, and the
    // child, in the terminal's foreground group as this JVM is, gets the terminal's Ctrl-C itself.
    ignore("INT");
    ignore("QUIT");
    try {
      process = builder.start();
    } catch (IOException e) {
      err.println("berth: run: cannot start " + String.join(" ", argv) + ": " + e.getMessage());
      return BerthCommand.EXIT_FAILED;
    }
    // Someone who ends this CLI (kill, a CI runner's timeout) means the command.
    Signal.handle(new Signal("TERM"), signal -> process.destroy());
    while (true) {
      try {
        // exitValue() is 128+N for a command killed by signal N, as a shell reports it.
        return process.waitFor();
      } catch (InterruptedException e) {
        // Not this CLI's to decide: the command ends when it ends.
      }
    }
  }

  /**
   * A handler that does nothing: the CLI keeps waiting and reports the command's exit. The JVM
   * refuses one for SIGQUIT, which it keeps for its thread dump: Ctrl-\ prints one, and the CLI
   * goes on.
   */
  private static void ignore(String name) {
    try {
      Signal.handle(new Signal(name), signal -> {});
    } catch (IllegalArgumentException e) {
      // Reserved by the JVM.
    }
  }
}
