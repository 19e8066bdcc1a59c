package dev.berth.daemon;

import static java.util.Objects.requireNonNull;

import dev.berth.config.App;
import dev.berth.config.Config;
import dev.berth.config.Listener;
import dev.berth.deploy.AppPlacer;
import dev.berth.deploy.Releases;
import dev.berth.supervisor.Overrides;
import dev.berth.supervisor.Supervisor;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What {@code berth up} prints once its apps are started: one line per app (ready, DEGRADED, FAILED
 * or held, with the reasons), the names of the stored environment values in effect, and the
 * listeners it serves on.
 */
final class StartReport {

  private final Config config;
  private final PrintStream out;

  StartReport(Config config, PrintStream out) {
    this.config = requireNonNull(config, "config");
    this.out = requireNonNull(out, "out");
  }

  void print(
      List<AppPlacer.Placed> placed,
      List<App> external,
      List<Supervisor.StartResult> results,
      List<Listener> bound,
      String engine,
      String tlsEngine) {
    for (AppPlacer.Placed held : placed) {
      held.held()
          .ifPresent(
              why -> {
                out.println(
                    "berth: app "
                        + held.app().name()
                        + ": FAILED, not started: "
                        + why.lines().findFirst().orElse(why));
                why.lines().skip(1).forEach(line -> out.println("berth:   " + line));
                out.println(
                    "berth:   once fixed, `berth deploy "
                        + held.app().name()
                        + "` starts it (or restart berth)");
              });
    }
    for (App app : external) {
      out.println(
          "berth: app "
              + app.name()
              + ": proxying to "
              + app.backend().upstreams().stream()
                  .map(Object::toString)
                  .collect(Collectors.joining(", ")));
    }
    for (Supervisor.StartResult result : results) {
      int wanted = result.ready() + result.failures().size();
      String state =
          result.ready() == wanted ? "ready" : result.ready() == 0 ? "FAILED" : "DEGRADED";
      out.println(
          "berth: app "
              + result.app().name()
              + ": "
              + state
              + ", "
              + result.ready()
              + "/"
              + wanted
              + " instance(s) ("
              + describe(result.app())
              + ")"
              + release(result.app()));
      result.failures().forEach(failure -> out.println("berth:   " + failure));
      storedEnv(result.app().name()).ifPresent(out::println);
    }
    for (Listener listener : bound) {
      out.println(
          "berth: serving on "
              + listener.url()
              + " ("
              + engine
              + (listener.secure() ? ", " + tlsEngine : "")
              + ")");
    }
    out.flush();
  }

  /**
   * The names (never the values) of what {@code berth env set} stored for the app: they win over
   * the config and its env_file, which says nothing of them.
   */
  private Optional<String> storedEnv(String app) {
    Set<String> names;
    try {
      names = new Overrides(config.stateDir().resolve("overrides")).env(app).keySet();
    } catch (UncheckedIOException e) {
      return Optional.empty(); // the app's start said so already
    }
    return names.isEmpty()
        ? Optional.empty()
        : Optional.of(
            "berth: app "
                + app
                + ": berth env values in effect: "
                + String.join(", ", names)
                + " (they win over the config; berth env "
                + app
                + " unset NAME)");
  }

  /**
   * ", release 7" for an app that runs a release (made by berth deploy), else "": the current one,
   * which may be a config release ({@code berth env set}) that runs this directory's code.
   */
  private String release(App app) {
    Path releases = config.stateDir().resolve("apps").resolve(app.name()).resolve("releases");
    if (!app.run().dir().startsWith(releases)) {
      return "";
    }
    try {
      OptionalInt current = new Releases(config.stateDir(), app.name()).current();
      if (current.isPresent()) {
        return ", release " + current.getAsInt();
      }
    } catch (UncheckedIOException e) {
      // The directory's name says it as well.
    }
    return ", release " + app.run().dir().getFileName();
  }

  private static String describe(App app) {
    List<String> parts = new ArrayList<>();
    if (app.hasWeb()) {
      parts.add(
          app.run().processes().isEmpty() ? app.run().command() : "web: " + app.run().command());
    }
    app.run().processes().forEach(p -> parts.add(p.name() + ": " + p.command()));
    return String.join("; ", parts);
  }
}
