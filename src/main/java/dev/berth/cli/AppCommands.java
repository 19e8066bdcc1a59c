package dev.berth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.config.Config;
import dev.berth.control.ControlClient;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Commands about the apps of the running daemon: status, logs, start, stop, restart. */
final class AppCommands {

  private AppCommands() {}

  @Command(
      name = "status",
      description = {
        "Show the state of every app instance.",
        "For each: state, pid, uptime, restarts, recycles, memory and the release it runs."
      })
  static final class Status extends ControlCommand {
    @Override
    int run(Config config) {
      return call(
          config,
          "status",
          args(),
          event -> {},
          result -> print(spec.commandLine().getOut(), result));
    }

    static void print(PrintWriter out, JsonNode result) {
      List<String[]> rows = new ArrayList<>();
      rows.add(
          new String[] {
            "INSTANCE",
            "STATE",
            "PID",
            "UPTIME",
            "RESTARTS",
            "RECYCLED",
            "MEMORY",
            "WEBSOCKETS",
            "RELEASE",
            "ENDPOINT"
          });
      for (JsonNode i : result.path("instances")) {
        boolean running = "RUNNING".equals(i.path("state").asText());
        rows.add(
            new String[] {
              i.path("tag").asText(),
              i.path("state").asText(),
              running ? Long.toString(i.path("pid").asLong()) : "-",
              (running ? "" : "for ") + duration(i.path("seconds").asLong()),
              Integer.toString(i.path("restarts").asInt()),
              Integer.toString(i.path("recycled").asInt()),
              running ? bytes(i.path("rss_bytes").asLong()) : "-",
              running ? Integer.toString(i.path("websockets").asInt()) : "-",
              // The release it runs (the one it will run again when stopped); "-": none.
              i.path("release").isInt() ? Integer.toString(i.path("release").asInt()) : "-",
              i.path("endpoint").asText("-").isEmpty() ? "-" : i.path("endpoint").asText()
            });
      }
      printTable(out, rows);
      problems(result).forEach(out::println);
      printRoutes(out, result);
      JsonNode certificates = result.path("certificates");
      if (!certificates.isEmpty()) {
        out.println();
        CertsCommand.printTable(out, certificates);
        CertsCommand.printErrors(out, certificates);
      }
      long dropped = result.path("log_lines_dropped").asLong();
      if (dropped > 0) {
        out.println("log lines dropped (log writer behind): " + dropped);
      }
    }
  }

  /**
   * Each instance's last problem, which names the instance already ("web.1: exited ..."). One that
   * runs again keeps it in view (a job killed at its stop, a crash), without the output lines that
   * came with it.
   */
  static List<String> problems(JsonNode status) {
    List<String> lines = new ArrayList<>();
    for (JsonNode i : status.path("instances")) {
      if (i.has("last_problem")) {
        String problem = i.path("last_problem").asText();
        boolean running = "RUNNING".equals(i.path("state").asText());
        lines.add(running ? problem.lines().findFirst().orElse("") : problem);
      }
    }
    return lines;
  }

  @Command(
      name = "logs",
      description = "Show an app's output: the last lines, or follow new ones with -f.")
  static final class Logs extends ControlCommand {
    @Parameters(index = "0", paramLabel = "APP")
    String app;

    @Option(
        names = {"-f", "--follow"},
        description = "Keep printing new lines until interrupted.")
    boolean follow;

    @Option(
        names = {"-n", "--lines"},
        paramLabel = "N",
        defaultValue = "100",
        description = "How many past lines (default 100).")
    int lines;

    @Option(
        names = "--instance",
        paramLabel = "N",
        description = "Only this instance's lines: 2 (web.2), or worker.2.")
    String instance;

    @Option(
        names = "--type",
        paramLabel = "TYPE",
        description = "Only this process type's lines (web, worker...).")
    String type;

    @Override
    int run(Config config) {
      var args = args().put("app", app).put("n", lines).put("follow", follow);
      if (instance != null) {
        args.put("instance", instance);
      }
      if (type != null) {
        args.put("type", type);
      }
      PrintWriter out = spec.commandLine().getOut();
      return call(
          config,
          "logs",
          args,
          event ->
              out.println(
                  event.fields().path("time").asText()
                      + " "
                      + event.fields().path("source").asText()
                      + " | "
                      + event.fields().path("text").asText()),
          result -> {});
    }
  }

  @Command(
      name = "stop",
      description = {
        "Stop an app's instances (they stay stopped until 'berth start').",
        "Each leaves the rotation, finishes its requests and is stopped."
      })
  static final class Stop extends ControlCommand {
    @Parameters(index = "0", paramLabel = "APP")
    String app;

    @Option(names = "--type", paramLabel = "TYPE", description = TYPE_HELP)
    String type;

    @Override
    int run(Config config) {
      return call(
          config,
          "stop",
          typed(app, type),
          progressTo(spec.commandLine().getOut()),
          r -> say("stopped " + what(app, type)));
    }
  }

  @Command(name = "start", description = "Start an app's stopped or FATAL instances.")
  static final class Start extends ControlCommand {
    @Parameters(index = "0", paramLabel = "APP")
    String app;

    @Option(names = "--type", paramLabel = "TYPE", description = TYPE_HELP)
    String type;

    @Override
    int run(Config config) {
      return call(
          config,
          "start",
          typed(app, type),
          progressTo(spec.commandLine().getOut()),
          r -> say("started " + what(app, type)));
    }
  }

  @Command(
      name = "restart",
      description = {
        "Restart an app's instances in turn, without failing a request.",
        "Each instance's successor starts and must be ready before it takes the traffic;"
            + " the old one drains and stops."
      })
  static final class Restart extends ControlCommand {
    @Parameters(index = "0", paramLabel = "APP")
    String app;

    @Option(names = "--type", paramLabel = "TYPE", description = TYPE_HELP)
    String type;

    @Override
    int run(Config config) {
      return call(
          config,
          "restart",
          typed(app, type),
          progressTo(spec.commandLine().getOut()),
          r -> say(restarted(app, type, r)));
    }

    /**
     * {@code restarted shop (release 3)}, or, when the folder has edits the release has not: {@code
     * restarted shop; /srv/shop has changed since release 3 was copied from it (...); run 'berth
     * deploy shop' to make it live}. With a type: {@code restarted shop's worker instances ...}.
     */
    static String restarted(String app, String type, JsonNode result) {
      String restarted = "restarted " + what(app, type);
      JsonNode undeployed = result.path("undeployed");
      if (undeployed.isObject()) {
        return restarted + "; " + undeployed.path("text").asText() + "; " + advice(app);
      }
      JsonNode release = result.path("release");
      return restarted + (release.isInt() ? " (release " + release.asInt() + ")" : "");
    }
  }

  private static final String TYPE_HELP =
      "Only this process type's instances (web, worker, clock...), as Heroku's ps:stop worker.";

  /** Prints each progress event's line: what became of each instance. */
  private static Consumer<ControlClient.Event> progressTo(PrintWriter out) {
    return event -> out.println(event.fields().path("text").asText());
  }

  /** The arguments of stop, start and restart: the app, and the process type if one is named. */
  private static ObjectNode typed(String app, String type) {
    var args = ControlCommand.args().put("app", app);
    return type == null ? args : args.put("type", type);
  }

  /** What stop, start and restart acted on: "shop", or "shop's worker instances". */
  static String what(String app, String type) {
    return type == null ? app : app + "'s " + type + " instances";
  }

  @Command(
      name = "scale",
      description = {
        "Set how many instances of each process type run.",
        "For example: berth scale blog web=4 worker=2"
      })
  static final class Scale extends ControlCommand {
    @Parameters(index = "0", paramLabel = "APP")
    String app;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "TYPE=N")
    List<String> counts;

    @Override
    int run(Config config) {
      var map = args().putObject("counts");
      for (String count : counts) {
        int eq = count.indexOf('=');
        Integer n = eq > 0 ? parse(count.substring(eq + 1)) : null;
        if (n == null) {
          spec.commandLine().getErr().println("berth: " + count + ": expected TYPE=N, like web=4");
          return BerthCommand.EXIT_USAGE;
        }
        map.put(count.substring(0, eq), n);
      }
      var args = args().put("app", app);
      args.set("counts", map);
      PrintWriter out = spec.commandLine().getOut();
      return call(
          config,
          "scale",
          args,
          e -> out.println(e.fields().path("text").asText()),
          r -> say("scaled " + app));
    }

    private static Integer parse(String s) {
      try {
        return Integer.parseInt(s);
      } catch (NumberFormatException e) {
        return null;
      }
    }
  }

  @Command(
      name = "env",
      description = {
        "Show an app's environment, or set and unset its variables.",
        "berth env APP set K=V ... sets variables; berth env APP unset K ... removes them.",
        "Changes are kept in the state dir (mode 0600) and applied by a rolling restart,",
        "after the app's release phase has run with them (a failed one leaves all as it was).",
        "Each change is a release (berth releases lists the names it changed; berth rollback"
            + " puts the env of an earlier release back)."
      })
  static final class Env extends ControlCommand {
    @Option(
        names = "--skip-release",
        description = "Apply the change without running the app's release phase first.")
    boolean skipRelease;

    @Parameters(index = "0", paramLabel = "APP")
    String app;

    @Parameters(index = "1", arity = "0..1", paramLabel = "set|unset")
    String action;

    @Parameters(index = "2..*", arity = "0..*", paramLabel = "K=V|K")
    List<String> values = new ArrayList<>();

    @Override
    int run(Config config) {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      if (action == null) {
        return call(
            config,
            "env",
            args().put("app", app),
            e -> {},
            r ->
                r.path("env")
                    .properties()
                    .forEach(e -> out.println(e.getKey() + "=" + e.getValue().asText())));
      }
      if (values.isEmpty() || !(action.equals("set") || action.equals("unset"))) {
        err.println(
            "berth: env: expected 'berth env APP', 'berth env APP set K=V ...' or 'berth env APP unset K ...'");
        return BerthCommand.EXIT_USAGE;
      }
      var args = args().put("app", app).put("skip_release", skipRelease);
      var set = args.putObject("set");
      var unset = args.putArray("unset");
      for (String value : values) {
        if (action.equals("unset")) {
          unset.add(value);
          continue;
        }
        int eq = value.indexOf('=');
        if (eq <= 0) {
          err.println("berth: env set: " + value + ": expected K=V");
          return BerthCommand.EXIT_USAGE;
        }
        set.put(value.substring(0, eq), value.substring(eq + 1));
      }
      return call(
          config,
          "env_change",
          args,
          e -> out.println(e.fields().path("text").asText()),
          r ->
              say(
                  r.path("changes").isTextual()
                      ? "environment of "
                          + app
                          + " changed"
                          + (r.path("release").isInt()
                              ? " (release " + r.path("release").asInt() + ")"
                              : "")
                      : "environment of " + app + " unchanged"));
    }
  }

  /**
   * Who serves what: one row per route (its host, "(any)" for every host, its path prefix, and
   * where it goes), then a line per app whose folder has edits its release has not.
   */
  static void printRoutes(PrintWriter out, JsonNode result) {
    Map<String, String> releases = new HashMap<>();
    for (JsonNode app : result.path("apps")) {
      if (app.path("release").isInt()) {
        releases.put(app.path("app").asText(), "release " + app.path("release").asInt());
      }
    }
    JsonNode routes = result.path("routes");
    if (!routes.isEmpty()) {
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"HOST", "PATH", "SERVES"});
      for (JsonNode route : routes) {
        String host = route.path("host").asText();
        rows.add(
            new String[] {
              host.isEmpty() ? "(any)" : host, route.path("path").asText(), serves(route, releases)
            });
      }
      out.println();
      printTable(out, rows);
    }
    for (JsonNode app : result.path("apps")) {
      if (app.path("maintenance").asBoolean()) {
        String name = app.path("app").asText();
        out.println(
            name
                + ": in maintenance, its routes answer 503 ('berth maintenance "
                + name
                + " off' ends it)");
      }
      JsonNode undeployed = app.path("undeployed");
      if (undeployed.isObject()) {
        String name = app.path("app").asText();
        out.println(name + ": " + undeployed.path("text").asText() + "; " + advice(name));
      }
    }
  }

  private static String serves(JsonNode route, Map<String, String> releases) {
    if (route.has("release_files")) {
      String app = route.path("app").asText();
      return "files of app "
          + app
          + ": "
          + route.path("release_files").asText()
          + Optional.ofNullable(releases.get(app)).map(r -> " (" + r + ")").orElse("");
    }
    if (route.has("app")) {
      String app = route.path("app").asText();
      return "app "
          + app
          + Optional.ofNullable(releases.get(app)).map(r -> " (" + r + ")").orElse("");
    }
    if (route.has("static")) {
      return "files " + route.path("static").asText();
    }
    return "redirect " + route.path("status").asInt() + " " + route.path("redirect").asText();
  }

  /** What makes the edits in an app's folder live (a restart runs the same release again). */
  static String advice(String app) {
    return "run 'berth deploy " + app + "' to make it live";
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
        line.append(
            c == row.length - 1
                ? row[c]
                : String.format(Locale.ROOT, "%-" + (widths[c] + 2) + "s", row[c]));
      }
      out.println(line.toString().stripTrailing());
    }
  }
}
