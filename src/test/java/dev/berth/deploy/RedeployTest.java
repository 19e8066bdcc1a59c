package dev.berth.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.config.App;
import dev.berth.config.ConfigLoader;
import dev.berth.logs.LogSettings;
import dev.berth.logs.Logs;
import dev.berth.supervisor.Endpoint;
import dev.berth.supervisor.Overrides;
import dev.berth.supervisor.StateFile;
import dev.berth.supervisor.Supervisor;
import dev.berth.testing.BerthProcess;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Deployer#redeploy}, what {@code berth reload} calls for an app whose definition changed:
 * the new definition runs (new env, new count) from the code the app runs now, through a new
 * generation and one switch. Real gunicorn processes under a real supervisor; the edge's side is a
 * listener that records which endpoints serve.
 */
class RedeployTest {

  @TempDir Path tmp;

  private final ServingListener listener = new ServingListener();

  @Test
  void aChangedDefinitionRunsThroughANewGenerationFromTheCurrentCode() throws Exception {
    Path source = Files.createDirectories(tmp.resolve("src"));
    try (Stream<Path> files = Files.list(BerthProcess.testApp())) {
      for (Path file : files.filter(p -> p.toString().endsWith(".py")).toList()) {
        Files.copy(file, source.resolve(file.getFileName()));
      }
    }
    Files.writeString(source.resolve("VERSION"), "configured\n");
    Path state = Files.createDirectories(tmp.resolve("state"));
    Path run = Files.createDirectories(state.resolve("run"));
    App first = app(source, "hello", 1);
    Logs logs = new Logs(LogSettings.defaults(state.resolve("log")));
    Supervisor supervisor =
        new Supervisor(
            run,
            logs,
            new PrintStream(new ByteArrayOutputStream(), true),
            listener,
            new StateFile(state.resolve("processes.json")),
            new Overrides(state.resolve("overrides")));
    try {
      assertThat(supervisor.start(List.of(first)).get(0).ready()).isEqualTo(1);
      Deployer deployer = new Deployer(supervisor, logs, state, List.of(first), line -> {});
      assertThat(get("/env/GREETING")).containsExactly("hello");

      // No release yet: a copy of the configured dir, with the new env and count.
      Path real = source.toRealPath();
      List<String> steps = new ArrayList<>();
      Deployer.Result result = deployer.redeploy(app(source, "bonjour", 2), steps::add);
      assertThat(result.ok()).as(result.failure()).isTrue();
      assertThat(result.release()).isEqualTo(1);
      assertThat(listener.switches).containsExactly("web");
      assertThat(get("/env/GREETING")).containsExactly("bonjour", "bonjour");
      assertThat(get("/version")).containsExactly("configured", "configured");
      assertThat(steps)
          .anyMatch(l -> l.contains("app web: release 1 copied from " + real))
          .anyMatch(l -> l.startsWith("-----> start    2 web (release 1, new definition)"))
          .anyMatch(l -> l.startsWith("-----> done     web runs its new definition"));
      assertThat(supervisor.status()).hasSize(2).allMatch(i -> i.state().equals("RUNNING"));

      // After a deploy of the folder: the current release's code, with the definition of the day.
      Files.writeString(source.resolve("VERSION"), "released\n");
      Deployer.Result deployed =
          deployer.deploy("web", new Deployer.Request(null, null, null, null), progress());
      assertThat(deployed.ok()).as(deployed.failure()).isTrue();
      assertThat(deployed.release()).isEqualTo(2);
      result = deployer.redeploy(app(source, "hallo", 1), steps::add);
      assertThat(result.ok()).as(result.failure()).isTrue();
      assertThat(result.release()).isEqualTo(2);
      assertThat(get("/env/GREETING")).containsExactly("hallo");
      assertThat(get("/version")).containsExactly("released");

      // The folder edited since berth copied it: a new copy runs, as at berth up.
      Files.writeString(source.resolve("VERSION"), "edited after the release\n");
      result = deployer.redeploy(app(source, "hallo", 1), steps::add);
      assertThat(result.ok()).as(result.failure()).isTrue();
      assertThat(result.release()).isEqualTo(3);
      assertThat(get("/version")).containsExactly("edited after the release");

      // A definition whose processes cannot start: refused, the running generation untouched.
      Set<Endpoint> before = Set.copyOf(listener.serving);
      App broken =
          app(source, "hallo", 1, "/usr/bin/python3 -c 'raise SystemExit(\"no such server\")'");
      result = deployer.redeploy(broken, steps::add);
      assertThat(result.ok()).isFalse();
      assertThat(result.failure())
          .contains("web.1: exited with code 1 before it was ready")
          .contains("no such server");
      assertThat(listener.serving).isEqualTo(before);
      assertThat(get("/env/GREETING")).containsExactly("hallo");
    } finally {
      supervisor.stopAll();
      logs.close();
    }
  }

  private App app(Path dir, String greeting, int instances) throws Exception {
    return app(dir, greeting, instances, "/usr/bin/gunicorn --workers 1 wsgi:app");
  }

  private App app(Path dir, String greeting, int instances, String command) throws Exception {
    Path config =
        BerthProcess.write(
            tmp.resolve("berth.toml"),
            """
            [[listeners]]
            address = "127.0.0.1:1"

            [apps.web]
            user = "root"
            dir = "%s"
            command = "%s"
            instances = %d
            env = { GREETING = "%s" }
            drain_timeout = "5s"
            stop_timeout = "5s"
            start_timeout = "20s"
            """
                .formatted(dir, command.replace("\"", "\\\""), instances, greeting));
    return ConfigLoader.load(config).apps().get("web");
  }

  /** The body of GET {@code path} from every serving instance, sorted. */
  private List<String> get(String path) throws Exception {
    return listener.get(path);
  }

  private static Deployer.Progress progress() {
    return new Deployer.Progress() {
      @Override
      public void step(String line) {}

      @Override
      public void output(String source, String line) {}
    };
  }
}
