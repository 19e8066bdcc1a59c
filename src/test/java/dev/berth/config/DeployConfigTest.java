package dev.berth.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The deploy keys of an app, and an app as it runs from a release (its Procfile read there). */
class DeployConfigTest {

  private static final String HEAD =
      "[[listeners]]\naddress = \":8080\"\n\n[apps.blog]\ndir = \"app\"\n";

  @TempDir Path dir;

  private App load(String app) throws Exception {
    Files.createDirectories(dir.resolve("app"));
    return ConfigLoader.parse(dir.resolve("berth.toml"), HEAD + app).apps().get("blog");
  }

  private List<String> problems(String app) throws Exception {
    try {
      load(app);
      return List.of();
    } catch (ConfigException e) {
      return e.problems();
    }
  }

  private Path release(String procfile) throws Exception {
    Path release = Files.createDirectories(dir.resolve("releases/7"));
    if (procfile != null) {
      Files.writeString(release.resolve("Procfile"), procfile);
    }
    return release;
  }

  @Test
  void deployKeysHaveDefaultsAndAreRead() throws Exception {
    App plain = load("command = \"gunicorn wsgi:app\"\n");
    assertThat(plain.deploy()).isEqualTo(App.Deploy.NONE);

    App app =
        load(
            """
            command = "gunicorn wsgi:app"
            build = "pip install -r requirements.txt"
            release = "flask db upgrade"
            keep_releases = 2
            build_timeout = "20m"
            release_timeout = "90s"
            """);
    assertThat(app.deploy().build()).isEqualTo("pip install -r requirements.txt");
    assertThat(app.deploy().release()).isEqualTo("flask db upgrade");
    assertThat(app.deploy().keepReleases()).isEqualTo(2);
    assertThat(app.deploy().buildTimeout()).isEqualTo(Duration.ofMinutes(20));
    assertThat(app.deploy().releaseTimeout()).isEqualTo(Duration.ofSeconds(90));
  }

  @Test
  void badDeployKeysAreErrorsWithTheirLine() throws Exception {
    assertThat(
            problems(
                """
                command = "x"
                build = ""
                release = 3
                keep_releases = 0
                release_timeout = "soon"
                """))
        .containsExactly(
            "berth.toml:7: apps.blog.build: \"\" (expected: a non-blank command line)",
            "berth.toml:8: apps.blog.release: 3 (expected: a non-blank command line)",
            "berth.toml:9: apps.blog.keep_releases: 0 (expected: an integer from 1 to 1000)",
            "berth.toml:10: apps.blog.release_timeout: \"soon\" (expected: a duration like \"30s\", \"500ms\" or \"2m\")");
    assertThatThrownBy(
            () ->
                ConfigLoader.parse(
                    dir.resolve("berth.toml"),
                    "[[listeners]]\naddress = \":8080\"\n\n[apps.legacy]\nupstreams = [\"127.0.0.1:9000\"]\nbuild = \"make\"\n"))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .containsExactly(
                        "berth.toml:6: apps.legacy.build: \"make\" (expected: no build for an app given by its upstreams; berth does not run it)"));
  }

  @Test
  void aReleaseRunsFromItsDirWithItsOwnProcfileAndTheConfiguredEnvFile() throws Exception {
    Files.createDirectories(dir.resolve("app"));
    Files.writeString(
        dir.resolve("app/Procfile"), "web: gunicorn old:app\nworker: python old_worker.py\n");
    App configured =
        load(
            "procfile = \"Procfile\"\ninstances = 2\nprocesses = { worker = { instances = 3 }, clock = \"python clock.py\" }\n");
    Path release =
        release("web: gunicorn new:app\nworker: python new_worker.py\nrelease: flask db upgrade\n");

    App app = ConfigLoader.forRelease(configured, release);

    assertThat(app.run().dir()).isEqualTo(release);
    assertThat(app.run().command()).isEqualTo("gunicorn new:app");
    assertThat(app.run().instances()).isEqualTo(2);
    assertThat(app.run().processes())
        .containsExactly(
            new App.ProcessType("worker", "python new_worker.py", 3),
            new App.ProcessType("clock", "python clock.py", 1));
    assertThat(app.deploy().release()).isEqualTo("flask db upgrade");
    assertThat(app.envFileOrDefault()).isEqualTo(configured.run().dir().resolve(".env"));
  }

  @Test
  void theConfigsReleaseCommandWinsAndAnAppWithoutProcfileKeepsItsCommands() throws Exception {
    App configured = load("command = \"gunicorn wsgi:app\"\nrelease = \"make migrate\"\n");
    App app = ConfigLoader.forRelease(configured, release("release: never used\n"));
    assertThat(app.run().command()).isEqualTo("gunicorn wsgi:app");
    assertThat(app.deploy().release()).isEqualTo("make migrate");
    assertThat(app.run().dir()).isEqualTo(dir.resolve("releases/7"));
  }

  @Test
  void aReleaseWhoseProcfileDoesNotFitTheConfigCannotRun() throws Exception {
    Files.createDirectories(dir.resolve("app"));
    Files.writeString(
        dir.resolve("app/Procfile"), "web: gunicorn wsgi:app\nworker: python worker.py\n");
    App configured = load("procfile = \"Procfile\"\nprocesses = { worker = { instances = 2 } }\n");

    assertThatThrownBy(
            () ->
                ConfigLoader.forRelease(
                    configured, release("clock: python clock.py\nnot a line\n")))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .containsExactly(
                        "Procfile:2: \"not a line\" (expected: type: command)",
                        "Procfile: no web: line, and the app has a web process (routes lead to it)",
                        "Procfile: no worker: line, and the config's processes.worker gives only its count"));
    Files.delete(dir.resolve("releases/7/Procfile"));
    assertThatThrownBy(() -> ConfigLoader.forRelease(configured, dir.resolve("releases/7")))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems().get(0))
                    .startsWith("Procfile: not in the release (the app's procfile; expected "));
  }
}
