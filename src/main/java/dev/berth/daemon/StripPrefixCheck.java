package dev.berth.daemon;

import static java.util.Objects.requireNonNull;

import dev.berth.config.App;
import dev.berth.config.ConfigLines;
import dev.berth.config.Route;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * A route with {@code strip_prefix = true} before a Python web server whose app then does not know
 * its mount point: berth puts the prefix back into redirects, not into the links of the app's
 * pages, so a Django or Flask app links out of its mount ({@code /static/...} for {@code
 * /blog/static/...}). A warning, with what makes the links right for that server: gunicorn and
 * uWSGI take the prefix from the SCRIPT_NAME that berth passes when the prefix is not stripped;
 * uvicorn and daphne from their {@code --root-path}, waitress from its {@code --url-prefix}.
 */
final class StripPrefixCheck {

  /** The servers that take the mount point from the SCRIPT_NAME berth sends. */
  private static final Set<String> SCRIPT_NAME_SERVERS = Set.of("gunicorn", "uwsgi");

  /** The servers told their mount point by an option, and that option. */
  private static final List<List<String>> OPTION_SERVERS =
      List.of(
          List.of("uvicorn", "--root-path"),
          List.of("daphne", "--root-path"),
          List.of("waitress", "--url-prefix"));

  private StripPrefixCheck() {}

  /**
   * The warnings for the config's routes, as {@code berth.toml:14: routes[1].strip_prefix: ...}.
   *
   * @param routes the config's routes, in file order
   * @param app each app as it will run (its command from its current release), by name; null for
   *     one that is not there
   */
  static List<String> warnings(List<Route> routes, Function<String, App> app, ConfigLines lines) {
    requireNonNull(routes, "routes");
    requireNonNull(app, "app");
    requireNonNull(lines, "lines");
    List<String> warnings = new ArrayList<>();
    for (int i = 0; i < routes.size(); i++) {
      Route route = routes.get(i);
      if (!route.stripPrefix()
          || route.path().equals("/")
          || !(route.target() instanceof Route.AppTarget target)) {
        continue;
      }
      App runs = app.apply(target.app());
      if (runs == null || runs.external() || !runs.hasWeb()) {
        continue;
      }
      int index = i;
      advice(runs.run().command(), route.path())
          .ifPresent(
              advice ->
                  warnings.add(
                      lines.problem(
                          ConfigLines.routeKey(index, "strip_prefix"),
                          "the app " + runs.name() + " runs " + advice)));
    }
    return warnings;
  }

  /**
   * What goes wrong and how to put it right, when {@code command} runs a server whose app would
   * link out of {@code prefix} once it is stripped; empty for any other command, or one that gives
   * the server its mount point already.
   */
  static Optional<String> advice(String command, String prefix) {
    List<String> words = List.of(command.strip().split("\\s+"));
    Optional<String> server = server(words);
    if (server.isEmpty()) {
      return Optional.empty();
    }
    String name = server.get();
    String wrong =
        name
            + ": its pages would link out of "
            + prefix
            + " (strip_prefix rewrites only redirects)";
    if (SCRIPT_NAME_SERVERS.contains(name)) {
      return Optional.of(
          wrong
              + "; leave strip_prefix off: berth passes the prefix as SCRIPT_NAME and"
              + " X-Forwarded-Prefix, and "
              + name
              + " makes it the mount point");
    }
    for (List<String> known : OPTION_SERVERS) {
      if (!known.get(0).equals(name)) {
        continue;
      }
      String option = known.get(1);
      boolean given = words.stream().anyMatch(w -> w.equals(option) || w.startsWith(option + "="));
      return given
          ? Optional.empty()
          : Optional.of(wrong + "; start " + name + " with " + option + "=" + prefix);
    }
    return Optional.empty();
  }

  /**
   * The server a command line runs, by its program's name ({@code /srv/venv/bin/gunicorn}, {@code
   * waitress-serve}) or as a python module ({@code .venv/bin/python -m gunicorn}), after leading
   * NAME=value assignments, {@code exec} and {@code env}.
   */
  private static Optional<String> server(List<String> words) {
    int i = 0;
    while (i < words.size()
        && (words.get(i).matches("[A-Za-z_][A-Za-z0-9_]*=.*")
            || words.get(i).equals("exec")
            || words.get(i).equals("env"))) {
      i++;
    }
    if (i >= words.size()) {
      return Optional.empty();
    }
    String program = baseName(words.get(i));
    if (program.matches("python[0-9.]*") && i + 2 < words.size() && words.get(i + 1).equals("-m")) {
      program = words.get(i + 2);
    }
    if (program.equals("waitress-serve")) {
      program = "waitress";
    }
    String found = program;
    boolean known =
        SCRIPT_NAME_SERVERS.contains(found)
            || OPTION_SERVERS.stream().anyMatch(s -> s.get(0).equals(found));
    return known ? Optional.of(found) : Optional.empty();
  }

  private static String baseName(String path) {
    return path.substring(path.lastIndexOf('/') + 1);
  }
}
