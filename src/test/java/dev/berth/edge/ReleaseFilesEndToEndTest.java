package dev.berth.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.testing.Await;
import dev.berth.testing.BerthProcess;
import dev.berth.testing.Cli;
import dev.berth.testing.Curl;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An app's static directories follow its release, end to end: a real berth running the test app
 * with gunicorn, deployed from folders whose staticfiles/a.css says which release they are. The
 * files switch with the deploy's traffic switch, never come from a release whose build failed, and
 * roll back with it, at the root and under a /blog mount.
 */
class ReleaseFilesEndToEndTest {

  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path tmp;
  private int port;
  private Path config;

  @Test
  void theFilesOfTheServingReleaseAreServedSwitchedAndRolledBackWithIt() throws Exception {
    Path gate = tmp.resolve("gate");
    Files.writeString(gate, "");
    Path v1 = source("v1");
    // The build writes the files first, as collectstatic would, then fails (a "fail" file in the
    // release) or waits for the gate: the new release's files are on disk while the old serves.
    String build =
        "mkdir -p staticfiles && cat VERSION > staticfiles/a.css"
            + " && if [ -e fail ]; then echo collectstatic failed; exit 1; fi"
            + " && while [ ! -e %s ]; do sleep 0.1; done";
    try (BerthProcess berth = up(v1, build.formatted(gate))) {
      assertThat(file("/static/a.css")).isEqualTo("v1");
      assertThat(file("/blog/static/a.css")).isEqualTo("v1");
      assertThat(Curl.get(url("/static/missing.css")).status()).isEqualTo(404);
      assertThat(Curl.get(url("/static/../wsgi.py"), "--path-as-is").status()).isEqualTo(400);
      assertThat(version()).as("the app still serves the rest").isEqualTo("v1");

      // A build that fails after writing its files: that release never serves them.
      Path broken = source("v2-broken");
      Files.writeString(broken.resolve("fail"), "");
      Cli failed = cli("deploy", "web", broken.toString());
      assertThat(failed.exit()).as(failed.out()).isEqualTo(1);
      assertThat(failed.err()).contains("build phase exited with code 1");
      assertThat(file("/static/a.css")).isEqualTo("v1");

      // A deploy held in its build: its files are written, the old release's are served.
      Files.delete(gate);
      Path v3 = source("v3");
      AtomicReference<Cli> deployed = new AtomicReference<>();
      Thread deploying =
          Thread.ofPlatform().start(() -> deployed.set(cli("deploy", "web", v3.toString())));
      try {
        Path written = tmp.resolve("state/apps/web/releases/2/staticfiles/a.css");
        Await.until(
            "release 2's build wrote its files",
            WAIT,
            () -> Files.exists(written) && Files.readString(written).strip().equals("v3"));
        assertThat(file("/static/a.css")).isEqualTo("v1");
        assertThat(file("/blog/static/a.css")).isEqualTo("v1");
      } finally {
        Files.writeString(gate, "");
        deploying.join(WAIT);
      }
      assertThat(deployed.get().exit()).as(deployed.get().err()).isZero();
      assertThat(version()).isEqualTo("v3");
      assertThat(file("/static/a.css")).isEqualTo("v3");
      assertThat(file("/blog/static/a.css")).isEqualTo("v3");

      Cli rollback = cli("rollback", "web");
      assertThat(rollback.exit()).as(rollback.err()).isZero();
      assertThat(version()).isEqualTo("v1");
      assertThat(file("/static/a.css")).isEqualTo("v1");
      assertThat(file("/blog/static/a.css")).isEqualTo("v1");
      assertThat(berth.terminate(WAIT)).isZero();
    }
  }

  /** The test app with VERSION and staticfiles/a.css saying {@code version}. */
  private Path source(String version) throws Exception {
    Path dir = Files.createDirectories(tmp.resolve(version));
    try (Stream<Path> files = Files.list(BerthProcess.testApp())) {
      for (Path file : files.filter(p -> p.toString().endsWith(".py")).toList()) {
        Files.copy(file, dir.resolve(file.getFileName()));
      }
    }
    Files.writeString(dir.resolve("VERSION"), version + "\n");
    Files.createDirectories(dir.resolve("staticfiles"));
    Files.writeString(dir.resolve("staticfiles/a.css"), version + "\n");
    return dir;
  }

  private BerthProcess up(Path dir, String build) throws Exception {
    return BerthProcess.upOnFreePort(
        freePort -> {
          port = freePort;
          config =
              BerthProcess.write(
                  tmp.resolve("berth.toml"),
                  """
                  state_dir = "%s/state"

                  [[listeners]]
                  address = "127.0.0.1:%d"

                  [apps.web]
                  user = "root"
                  dir = "%s"
                  command = "/usr/bin/gunicorn --workers 1 wsgi:app"
                  build = "%s"
                  static = { "/static" = "staticfiles" }
                  drain_timeout = "5s"
                  stop_timeout = "5s"

                  [[routes]]
                  path = "/"
                  app = "web"

                  [[routes]]
                  path = "/blog"
                  app = "web"
                  """
                      .formatted(tmp, freePort, dir, build.replace("\"", "\\\"")));
          return config;
        });
  }

  private Cli cli(String... args) {
    return Cli.run(config, args);
  }

  private String url(String path) {
    return "http://127.0.0.1:" + port + path;
  }

  private String file(String path) throws Exception {
    Curl.Response response = Curl.get(url(path));
    assertThat(response.status()).as("%s: %s", path, response.body()).isEqualTo(200);
    assertThat(response.header("Content-Type")).startsWith("text/css");
    return response.body().strip();
  }

  private String version() throws Exception {
    Curl.Response response = Curl.get(url("/version"));
    assertThat(response.status()).as(response.body()).isEqualTo(200);
    return response.body().strip();
  }
}
