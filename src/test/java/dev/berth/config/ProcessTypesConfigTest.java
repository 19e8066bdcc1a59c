package dev.berth.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Process types: command + instances for web, a Procfile, the processes table, env_file. */
class ProcessTypesConfigTest {

  private static final String HEAD =
      "[[listeners]]\naddress = \":8080\"\n\n[apps.blog]\ndir = \"app\"\n";

  @TempDir Path dir;

  private Config load(String app) throws Exception {
    Files.createDirectories(dir.resolve("app"));
    return ConfigLoader.parse(dir.resolve("berth.toml"), HEAD + app);
  }

  private List<String> problems(String app) throws Exception {
    try {
      load(app);
      return List.of();
    } catch (ConfigException e) {
      return e.problems();
    }
  }

  private void procfile(String text) throws Exception {
    Files.createDirectories(dir.resolve("app"));
    Files.writeString(dir.resolve("app/Procfile"), text);
  }

  @Test
  void procfileGivesWebAndWorkersAndSkipsRelease() throws Exception {
    procfile(
        "# types\nweb: gunicorn wsgi:app\nworker:   python worker.py  \nrelease: flask db upgrade\n\nclock: python clock.py\n");
    App app =
        load("procfile = \"Procfile\"\ninstances = 2\nprocesses = { clock = { instances = 0 } }\n")
            .apps()
            .get("blog");

    assertThat(app.run().command()).isEqualTo("gunicorn wsgi:app");
    assertThat(app.run().instances()).isEqualTo(2);
    assertThat(app.run().processes())
        .containsExactly(
            new App.ProcessType("worker", "python worker.py", 1),
            new App.ProcessType("clock", "python clock.py", 0));
  }

  @Test
  void processesTableAloneMakesAWorkerOnlyApp() throws Exception {
    App app =
        load("processes = { worker = \"python worker.py\", mailer = { command = \"python mail.py\", instances = 3 } }\n")
            .apps()
            .get("blog");

    assertThat(app.hasWeb()).isFalse();
    assertThat(app.run().processes())
        .containsExactly(
            new App.ProcessType("worker", "python worker.py", 1),
            new App.ProcessType("mailer", "python mail.py", 3));
  }

  @Test
  void stopTimeoutAndRolloutPerTypeWithTheirDefaults() throws Exception {
    procfile("web: gunicorn wsgi:app\nworker: python worker.py\nclock: python clock.py\n");
    App app =
        load("procfile = \"Procfile\"\nstop_timeout = \"5s\"\n"
                + "[apps.blog.processes.worker]\nstop_timeout = \"2m\"\nrollout = \"stop-first\"\n"
                + "[apps.blog.processes.mailer]\ncommand = \"python mail.py\"\n")
            .apps()
            .get("blog");

    assertThat(app.stopTimeout("web")).isEqualTo(Duration.ofSeconds(5));
    assertThat(app.stopTimeout("worker")).isEqualTo(Duration.ofMinutes(2));
    assertThat(app.stopTimeout("clock")).isEqualTo(Duration.ofSeconds(30));
    assertThat(app.rollout("web")).isEqualTo(App.Rollout.START_FIRST);
    assertThat(app.rollout("worker")).isEqualTo(App.Rollout.STOP_FIRST);
    assertThat(app.rollout("clock")).isEqualTo(App.Rollout.STOP_FIRST);
    assertThat(app.rollout("mailer")).isEqualTo(App.Rollout.START_FIRST);

    App longer =
        load("command = \"x\"\nstop_timeout = \"90s\"\nprocesses = { w = \"y\" }\n")
            .apps()
            .get("blog");
    assertThat(longer.stopTimeout("w")).isEqualTo(Duration.ofSeconds(90));
  }

  @Test
  void aRolloutThatIsNeitherIsRefusedWithItsLine() throws Exception {
    assertThat(
            problems(
                "command = \"x\"\n[apps.blog.processes.clock]\ncommand = \"y\"\nrollout = \"blue-green\"\n"))
        .containsExactly(
            "berth.toml:9: apps.blog.processes.clock.rollout: \"blue-green\" (expected: \"start-first\" or \"stop-first\")");
  }

  @Test
  void problemsNameTheConfigLineAndTheProcfileLine() throws Exception {
    procfile("web: gunicorn wsgi:app\nnot a line\nWeb2: x\nworker:\nweb: again\n");
    assertThat(problems("procfile = \"Procfile\"\n"))
        .containsExactly(
            "berth.toml:6: apps.blog.procfile: Procfile:2: \"not a line\" (expected: type: command)",
            "berth.toml:6: apps.blog.procfile: Procfile:3: process type \"Web2\" (expected: lower-case letters, digits, \"_\" or \"-\")",
            "berth.toml:6: apps.blog.procfile: Procfile:4: worker: no command (expected: type: command)",
            "berth.toml:6: apps.blog.procfile: Procfile:5: web: defined twice");
    assertThat(problems("procfile = \"Nope\"\n"))
        .singleElement()
        .asString()
        .startsWith(
            "berth.toml:6: apps.blog.procfile: \"Nope\" (expected: a Procfile (\"type: command\" lines); ")
        .endsWith("Nope is not a file)");
    assertThat(problems("command = \"y\"\nprocesses = { web = \"x\" }\n"))
        .singleElement()
        .asString()
        .startsWith("berth.toml:7: apps.blog.processes.web: process type \"web\" (expected:");
    assertThat(problems("processes = { worker = { instances = 2 } }\n"))
        .containsExactly(
            "berth.toml:6: apps.blog.processes.worker.command: missing (expected: a non-blank command line)");
  }

  @Test
  void commandAndAProcfileWebLineConflict() throws Exception {
    procfile("web: gunicorn wsgi:app\n");
    assertThat(problems("procfile = \"Procfile\"\ncommand = \"other\"\n"))
        .containsExactly(
            "berth.toml:7: apps.blog.command: \"other\" (expected: no command when the procfile has a web: line; one of them)");
  }

  @Test
  void aRouteNeedsAnAppWithAWebProcess() throws Exception {
    assertThat(problems("processes = { worker = \"w\" }\n\n[[routes]]\napp = \"blog\"\n"))
        .containsExactly(
            "berth.toml:9: routes[0].app: \"blog\" (expected: an app with a web process; blog has none (no command, no web: line))");
  }

  @Test
  void envFileMustExistWhenNamedAndDefaultsToDotEnv() throws Exception {
    App plain = load("command = \"x\"\n").apps().get("blog");
    assertThat(plain.run().envFile()).isNull();
    assertThat(plain.envFileOrDefault()).isEqualTo(dir.resolve("app").toRealPath().resolve(".env"));
    assertThat(problems("command = \"x\"\nenv_file = \"prod.env\"\n"))
        .singleElement()
        .asString()
        .startsWith(
            "berth.toml:7: apps.blog.env_file: \"prod.env\" (expected: a file of NAME=value lines;");
  }

  @Test
  void reservedAppNames() throws Exception {
    Files.createDirectories(dir.resolve("app"));
    List<String> problems;
    try {
      ConfigLoader.parse(
          dir.resolve("berth.toml"),
          "[[listeners]]\naddress = \":8080\"\n[apps.berth]\ncommand = \"x\"\n");
      problems = List.of();
    } catch (ConfigException e) {
      problems = e.problems();
    }
    assertThat(problems)
        .containsExactly(
            "berth.toml:3: apps.berth: app name \"berth\" is reserved (berth's own logs are berth.log and access.log)");
  }
}
