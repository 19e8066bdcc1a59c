package dev.berth.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.config.App;
import dev.berth.config.ConfigLoader;
import dev.berth.logs.LogSettings;
import dev.berth.logs.Logs;
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
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rollback over {@code berth env set} releases ({@link Deployer#configRelease}): the env recorded
 * with the release it goes back to is stored again and the app sees it; over a config release only
 * (the same code) by a rolling restart, over a deploy by a new generation. Real gunicorn processes
 * under a real supervisor, as in {@link RedeployTest}.
 */
class EnvRollbackTest {

  @TempDir Path tmp;

  private final ServingListener listener = new ServingListener();

  @Test
  void aRollbackRestoresTheEnvOfTheReleaseItGoesBackTo() throws Exception {
    Path source = Files.createDirectories(tmp.resolve("src"));
    try (Stream<Path> files = Files.list(BerthProcess.testApp())) {
      for (Path file : files.filter(p -> p.toString().endsWith(".py")).toList()) {
        Files.copy(file, source.resolve(file.getFileName()));
      }
    }
    Files.writeString(source.resolve("VERSION"), "one\n");
    Path state = Files.createDirectories(tmp.resolve("state"));
    Path run = Files.createDirectories(state.resolve("run"));
    App web = app(source);
    Logs logs = new Logs(LogSettings.defaults(state.resolve("log")));
    Supervisor supervisor =
        new Supervisor(
            run,
            logs,
            new PrintStream(new ByteArrayOutputStream(), true),
            listener,
            new StateFile(state.resolve("processes.json")),
            new Overrides(state.resolve("overrides")));
    new Overrides(state.resolve("overrides"))
        .changeEnv("web", Map.of("SECRET", "first"), List.of());
    try {
      assertThat(supervisor.start(List.of(web)).get(0).ready()).isEqualTo(1);
      Deployer deployer = new Deployer(supervisor, logs, state, List.of(web), line -> {});
      Deployer.Result deployed = deployer.deploy("web", DIR, progress(new ArrayList<>()));
      assertThat(deployed.ok()).as(deployed.failure()).isTrue();
      assertThat(deployed.release()).isEqualTo(1);

      // berth env set SECRET=second, as the daemon does it: release 2, the same code.
      envSet(supervisor, deployer, "second");
      assertThat(get("/env/SECRET")).containsExactly("second");
      assertThat(deployer.releases("web").current()).hasValue(2);
      int switchesBefore = listener.switches.size();

      List<String> steps = new ArrayList<>();
      Deployer.Result back = deployer.rollback("web", OptionalInt.empty(), progress(steps));
      assertThat(back.ok()).as(back.failure()).isTrue();
      assertThat(back.release()).isEqualTo(1);
      assertThat(get("/env/SECRET")).containsExactly("first");
      assertThat(supervisor.storedEnvironment("web")).isEqualTo(Map.of("SECRET", "first"));
      // The same code: a rolling restart, no new generation.
      assertThat(listener.switches).hasSize(switchesBefore);
      assertThat(steps)
          .anyMatch(l -> l.startsWith("-----> code     release 1's, which runs already"))
          .anyMatch(l -> l.startsWith("-----> env      restored to release 1's (set SECRET)"))
          .anyMatch(l -> l.startsWith("-----> done     web release 1 is current"));

      // A deploy (release 3) and an env change (release 4), then back to release 2: its code
      // (release 1's) and its env, through a new generation.
      Files.writeString(source.resolve("VERSION"), "two\n");
      deployed = deployer.deploy("web", DIR, progress(new ArrayList<>()));
      assertThat(deployed.release()).as(deployed.failure()).isEqualTo(3);
      envSet(supervisor, deployer, "fourth");
      assertThat(get("/version")).containsExactly("two");
      steps.clear();
      back = deployer.rollback("web", OptionalInt.of(2), progress(steps));
      assertThat(back.ok()).as(back.failure()).isTrue();
      assertThat(get("/version")).containsExactly("one");
      assertThat(get("/env/SECRET")).containsExactly("second");
      assertThat(steps).anyMatch(l -> l.startsWith("-----> env      restored to release 2's"));

    } finally {
      supervisor.stopAll();
      logs.close();
    }
  }

  private static final Deployer.Request DIR = new Deployer.Request(null, null, null, null);

  /** What the daemon's env_change does: store, record the release, rolling restart. */
  private static void envSet(Supervisor supervisor, Deployer deployer, String secret)
      throws Exception {
    Map<String, String> before = supervisor.storedEnvironment("web");
    Map<String, String> after = new TreeMap<>(before);
    after.put("SECRET", secret);
    supervisor.changeEnvironment("web", Map.of("SECRET", secret), List.of());
    assertThat(deployer.configRelease("web", after, ConfigReleases.changes(before, after), null))
        .isPresent();
    assertThat(supervisor.restartApp("web", line -> {})).isEmpty();
  }

  private App app(Path dir) throws Exception {
    Path config =
        BerthProcess.write(
            tmp.resolve("berth.toml"),
            """
            [[listeners]]
            address = "127.0.0.1:1"

            [apps.web]
            user = "root"
            dir = "%s"
            command = "/usr/bin/gunicorn --workers 1 wsgi:app"
            drain_timeout = "5s"
            stop_timeout = "5s"
            start_timeout = "20s"
            """
                .formatted(dir));
    return ConfigLoader.load(config).apps().get("web");
  }

  /** The body of GET {@code path} from every serving instance, sorted. */
  private List<String> get(String path) throws Exception {
    return listener.get(path);
  }

  private static Deployer.Progress progress(List<String> steps) {
    return new Deployer.Progress() {
      @Override
      public void step(String line) {
        steps.add(line);
      }

      @Override
      public void output(String source, String line) {}
    };
  }
}
