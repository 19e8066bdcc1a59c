package dev.berth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.config.Config;
import dev.berth.control.ControlClient;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Deploys: {@code berth deploy}, {@code rollback} and {@code releases}, done by the running daemon.
 */
final class DeployCommands {

  /** What git takes as a URL rather than a path: scheme://..., or scp-like user@host:path. */
  private static final Pattern URL =
      Pattern.compile("^([a-zA-Z][a-zA-Z0-9+.-]*://.+|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:.+)$");

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);

  private DeployCommands() {}

  @Command(
      name = "deploy",
      description = {
        "Deploy a new release of an app, without failing a request.",
        "Copies (or clones, unpacks) the source, runs the build and release phases, starts a new"
            + " generation, switches the traffic once it is ready, then drains and stops the old one.",
        "SRC: a directory, a .tar/.tar.gz/.tgz, or a git URL or repository;"
            + " default: the app's configured dir.",
        "Exit 1 when it failed (the running version keeps serving)."
      })
  static final class Deploy extends ControlCommand {
    @Parameters(index = "0", paramLabel = "APP")
    String app;

    @Parameters(index = "1", arity = "0..1", paramLabel = "SRC")
    String source;

    @Option(
        names = "--ref",
        paramLabel = "REF",
        description = "Git branch, tag or commit to deploy (default: HEAD).")
    String ref;

    @Option(
        names = "--revision",
        paramLabel = "SHA",
        description = "Record this revision instead of the one found.")
    String revision;

    @Option(
        names = "--source-label",
        paramLabel = "TEXT",
        description = "Record this as the release's source.")
    String sourceLabel;

    @Override
    int run(Config config) {
      var args = args().put("app", app);
      if (source != null) {
        if (URL.matcher(source).matches()) {
          args.put("source", source);
        } else {
          Path path = Path.of(source).toAbsolutePath().normalize();
          if (!Files.exists(path)) {
            spec.commandLine()
                .getErr()
                .println("berth: deploy: " + source + ": no such file or directory");
            return BerthCommand.EXIT_USAGE;
          }
          args.put("source", path.toString());
        }
      }
      if (ref != null) {
        args.put("ref", ref);
      }
      if (revision != null) {
        args.put("revision", revision);
      }
      if (sourceLabel != null) {
        args.put("source_label", sourceLabel);
      }
      return call(config, "deploy", args, steps(spec.commandLine().getOut()), result -> {});
    }
  }

  @Command(
      name = "rollback",
      description = {
        "Run an earlier release of an app again, as a deploy would.",
        "The same flow as a deploy, without the build and release phases.",
        "The env set with 'berth env APP set' goes back to what it was in that release"
            + " (a rolling restart when only the env differs).",
        "N: the release (see 'berth releases'); default: the one before the current one."
      })
  static final class Rollback extends ControlCommand {
    @Parameters(index = "0", paramLabel = "APP")
    String app;

    @Parameters(index = "1", arity = "0..1", paramLabel = "N")
    Integer release;

    @Override
    int run(Config config) {
      var args = args().put("app", app);
      if (release != null) {
        if (release < 1) {
          spec.commandLine()
              .getErr()
              .println("berth: rollback: " + release + ": expected a release number (1 or more)");
          return BerthCommand.EXIT_USAGE;
        }
        args.put("release", release);
      }
      return call(config, "rollback", args, steps(spec.commandLine().getOut()), result -> {});
    }
  }

  @Command(
      name = "releases",
      description = {
        "List an app's releases, oldest first.",
        "For each: number, time (UTC), source and revision; for a config release (berth env"
            + " set/unset) the names of the variables it changed, never their values."
      })
  static final class Releases extends ControlCommand {
    @Parameters(index = "0", paramLabel = "APP")
    String app;

    @Override
    int run(Config config) {
      PrintWriter out = spec.commandLine().getOut();
      return call(
          config, "releases", args().put("app", app), event -> {}, result -> print(out, result));
    }

    private static void print(PrintWriter out, JsonNode result) {
      if (result.path("releases").isEmpty()) {
        out.println(
            "berth: "
                + result.path("app").asText()
                + " has no releases yet (it runs from its configured dir)");
        return;
      }
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"RELEASE", "CREATED", "SOURCE", "REVISION", ""});
      for (JsonNode r : result.path("releases")) {
        rows.add(
            new String[] {
              r.path("number").asText(),
              TIME.format(Instant.parse(r.path("created").asText())),
              r.path("kind").asText().equals("config")
                  ? "config: " + r.path("changes").asText()
                  : r.path("source").asText(),
              r.path("revision").isTextual() ? shortRevision(r.path("revision").asText()) : "-",
              r.path("current").asBoolean() ? "current" : ""
            });
      }
      AppCommands.printTable(out, rows);
    }
  }

  /** Step lines as they come; a build's or release phase's output indented below them. */
  private static Consumer<ControlClient.Event> steps(PrintWriter out) {
    return event -> {
      if (event.kind().equals("output")) {
        out.println("       " + event.fields().path("text").asText());
      } else {
        out.println(event.fields().path("text").asText());
      }
    };
  }

  static String shortRevision(String revision) {
    if (!revision.matches("[0-9a-f]{13,}(-dirty)?")) {
      return revision;
    }
    return revision.substring(0, 12) + (revision.endsWith("-dirty") ? "-dirty" : "");
  }
}
