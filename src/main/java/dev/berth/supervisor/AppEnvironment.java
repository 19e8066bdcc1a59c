package dev.berth.supervisor;

import dev.berth.config.App;
import dev.berth.config.UserAccount;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The environment an app's process starts with, lowest first: berth's own, the user's HOME, USER
 * and LOGNAME when it runs as another, the app's .env file (read at each start, so that an edit
 * applies at the next one), the config's env, what {@code berth env set} stored, then berth's
 * variables (BERTH_APP; an instance's type, number and endpoint; a phase's name).
 */
final class AppEnvironment {

  private static final System.Logger LOG = System.getLogger(AppEnvironment.class.getName());

  private AppEnvironment() {}

  /**
   * Puts the app's environment over berth's own in {@code env}.
   *
   * @param stored what {@code berth env set} stored for the app
   */
  static void apply(
      Map<String, String> env, App app, Map<String, String> stored, Optional<UserAccount> runAs)
      throws IOException {
    runAs.ifPresent(
        user -> {
          env.put("HOME", user.home());
          env.put("USER", user.name());
          env.put("LOGNAME", user.name());
        });
    ChildPath.forUser(env, runAs);
    List<String> problems = new ArrayList<>();
    env.putAll(EnvFile.read(app.envFileOrDefault(), problems));
    problems.forEach(problem -> LOG.log(System.Logger.Level.WARNING, problem));
    env.putAll(app.run().env());
    env.putAll(stored);
    env.put("BERTH_APP", app.name());
    env.putIfAbsent("PYTHONUNBUFFERED", "1");
  }

  /**
   * An instance's own variables: its type and number and, for web, where it listens (BERTH_SOCKET
   * or PORT, and gunicorn's {@code --bind}).
   *
   * @param endpoint null for a process type other than web
   */
  static void instance(Map<String, String> env, String type, int number, Endpoint endpoint) {
    env.put("BERTH_PROCESS_TYPE", type);
    env.put("BERTH_INSTANCE", Integer.toString(number));
    if (endpoint == null) {
      return;
    }
    String bind =
        switch (endpoint) {
          case Endpoint.Unix unix -> {
            env.put("BERTH_SOCKET", unix.path().toString());
            yield "unix:" + unix.path();
          }
          case Endpoint.Tcp tcp -> {
            env.put("PORT", Integer.toString(tcp.port()));
            yield "127.0.0.1:" + tcp.port();
          }
        };
    // gunicorn reads its settings from here too: "gunicorn wsgi:app" needs no --bind.
    String gunicornArgs = env.getOrDefault("GUNICORN_CMD_ARGS", "").trim();
    env.put("GUNICORN_CMD_ARGS", (gunicornArgs + " --bind " + bind).trim());
  }

  /**
   * A deploy phase's own variables: BERTH_PHASE and {@code extra} (BERTH_RELEASE).
   *
   * @param phase "build" or "release"
   */
  static void phase(Map<String, String> env, String phase, Map<String, String> extra) {
    env.put("BERTH_PHASE", phase);
    env.putAll(extra);
  }

  /** What {@code berth env} shows: the .env file, the config's env and what was stored, sorted. */
  static Map<String, String> configured(App app, Map<String, String> stored) throws IOException {
    Map<String, String> env =
        new TreeMap<>(EnvFile.read(app.envFileOrDefault(), new ArrayList<>()));
    env.putAll(app.run().env());
    env.putAll(stored);
    return env;
  }
}
