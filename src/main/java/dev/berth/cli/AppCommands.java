package dev.berth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.config.Config;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Commands about the apps of the running daemon: status, logs, start, stop, restart. */
final class AppCommands {

  private AppCommands() {}

  @Command(name = "status", description = "Show every app instance: state, pid, uptime, restarts, recycles, memory.")
  static final class Status extends ControlCommand {
    @Override
    int run(Config config) {
      return call(config, "status", args(), event -> {}, result -> print(spec.commandLine().getOut(), result));
    }

    private static void print(PrintWriter out, JsonNode result) {
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"INSTANCE", "STATE", "PID", "UPTIME", "RESTARTS", "RECYCLED", "MEMORY", "ENDPOINT"});
      for (JsonNode i : result.path("instances")) {
        boolean running = "RUNNING".equals(i.path("state").asText());
        rows.add(
            new String[] {
              i.path("app").asText() + "." + i.path("instance").asInt(),
              i.path("state").asText(),
              running ? Long.toString(i.path("pid").asLong()) : "-",
              (running ? "" : "for ") + duration(i.path("seconds").asLong()),
              Integer.toString(i.path("restarts").asInt()),
              Integer.toString(i.path("recycled").asInt()),
              running ? bytes(i.path("rss_bytes").asLong()) : "-",
              i.path("endpoint").asText("-").isEmpty() ? "-" : i.path("endpoint").asText()
            });
      }
      printTable(out, rows);
      for (JsonNode i : result.path("instances")) {
        String state = i.path("state").asText();
        if (i.has("last_problem") && !"RUNNING".equals(state)) {
          out.println(i.path("app").asText() + "." + i.path("instance").asInt() + ": " + i.path("last_problem").asText());
        }
      }
      long dropped = result.path("log_lines_dropped").asLong();
      if (dropped > 0) {
        out.println("log lines dropped (log writer behind): " + dropped);
      }
    }
  }

  @Command(name = "logs", description = "Show an app's output: the last lines, or follow new ones with -f.")
  static final class Logs extends ControlCommand {
    @Parameters(index = "0", paramLabel = "APP")
    String app;

    @Option(names = {"-f", "--follow"}, description = "Keep printing new lines until interrupted.")
    boolean follow;

    @Option(names = {"-n", "--lines"}, paramLabel = "N", defaultValue = "100", description = "How many past lines (default 100).")
    int lines;

    @Option(names = "--instance", paramLabel = "N", description = "Only this instance's lines (e.g. 2).")
    String instance;

    @Override
    int run(Config config) {
      var args = args().put("app", app).put("n", lines).put("follow", follow);
      if (instance != null) {
        args.put("instance", instance);
      }
      PrintWriter out = spec.commandLine().getOut();
      return call(
          config,
          "logs",
          args,
          event ->
              out.println(
                  event.fields().path("time").asText() + " " + event.fields().path("source").asText() + " | "
                      + event.fields().path("text").asText()),
          result -> {});
    }
  }

  @Command(name = "stop", description = "Stop an app's instances (they stay stopped until 'berth start').")
  static final class Stop extends ControlCommand {
    @Parameters(index = "0", paramLabel = "APP")
    String app;

    @Override
    int run(Config config) {
      return call(config, "stop", args().put("app", app), e -> {}, r -> say("stopped " + app));
    }
  }

  @Command(name = "start", description = "Start an app's stopped or FATAL instances.")
  static final class Start extends ControlCommand {
    @Parameters(index = "0", paramLabel = "APP")
    String app;

    @Override
    int run(Config config) {
      return call(config, "start", args().put("app", app), e -> {}, r -> say("started " + app));
    }
  }

  @Command(
      name = "restart",
      description =
          "Rolling restart: each instance's successor starts and must be ready before it takes the traffic; the old one drains and stops.")
  static final class Restart extends ControlCommand {
    @Parameters(index = "0", paramLabel = "APP")
    String app;

    @Override
    int run(Config config) {
      PrintWriter out = spec.commandLine().getOut();
      return call(
          config,
          "restart",
          args().put("app", app),
          event -> out.println(event.fields().path("text").asText()),
          r -> say("restarted " + app));
    }
  }

  static String duration(long seconds) {
    Duration d = Duration.ofSeconds(seconds);
    if (seconds < 60) {
      return seconds + "s";
    }
    if (seconds < 3600) {
      return d.toMinutes() + "m" + d.toSecondsPart() + "s";
    }
    if (seconds < 86400) {
      return d.toHours() + "h" + d.toMinutesPart() + "m";
    }
    return d.toDays() + "d" + d.toHoursPart() + "h";
  }

  static String bytes(long bytes) {
    if (bytes < 1024 * 1024) {
      return (bytes / 1024) + "K";
    }
    return String.format(Locale.ROOT, "%.1fM", bytes / (1024.0 * 1024));
  }

  static void printTable(PrintWriter out, List<String[]> rows) {
    int[] widths = new int[rows.get(0).length];
    for (String[] row : rows) {
      for (int c = 0; c < row.length; c++) {
        widths[c] = Math.max(widths[c], row[c].length());
      }
    }
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int c = 0; c < row.length; c++) {
        line.append(c == row.length - 1 ? row[c] : String.format(Locale.ROOT, "%-" + (widths[c] + 2) + "s", row[c]));
      }
      out.println(line.toString().stripTrailing());
    }
  }
}
