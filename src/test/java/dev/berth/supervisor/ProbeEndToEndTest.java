package dev.berth.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.testing.Await;
import dev.berth.testing.BerthProcess;
import dev.berth.testing.Cli;
import dev.berth.testing.Curl;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Readiness that means healthy, and probes that look like real requests, with real gunicorn and a
 * WSGI app as fussy as Django in production (testapp/fussy.py): it refuses any Host but its own
 * with a 400, answers 500 on every page when its release is broken, and shows the first request a
 * worker took, which is berth's readiness probe.
 */
class ProbeEndToEndTest {

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String GUNICORN = "/usr/bin/gunicorn --workers 1 fussy:app";

  @TempDir Path tmp;

  /** A folder with the fussy app and a VERSION file; a broken one answers 500 on every page. */
  private Path source(String name, String version, boolean broken) throws Exception {
    Path dir = Files.createDirectories(tmp.resolve(name));
    Files.copy(BerthProcess.testApp().resolve("fussy.py"), dir.resolve("fussy.py"));
    Files.writeString(dir.resolve("VERSION"), version + "\n");
    if (broken) {
      Files.writeString(dir.resolve("ANSWER_500"), "");
    }
    return dir;
  }

  private Path config(int port, String apps) throws Exception {
    return BerthProcess.write(
        tmp.resolve("berth.toml"),
        """
        state_dir = "%s/state"

        [[listeners]]
        address = "127.0.0.1:%d"

        %s
        """
            .formatted(tmp, port, apps));
  }

  @Test
  void anAppAnswering500IsNotReadyAndADeployOfOneIsRefusedWhileTheOldVersionServes()
      throws Exception {
    Path good = source("good", "v1", false);
    Path broken = source("broken", "v1", true);
    int port = BerthProcess.freePort();
    Path config =
        config(
            port,
            """
            [apps.web]
            dir = "%1$s"
            command = "%3$s"
            user = "root"
            start_timeout = "10s"
            stop_timeout = "5s"

            [apps.broken]
            dir = "%2$s"
            command = "%3$s"
            user = "root"
            start_timeout = "3s"
            stop_timeout = "5s"
            max_restarts = 0

            [[routes]]
            app = "web"
            """
                .formatted(good, broken, GUNICORN));
    try (BerthProcess berth = BerthProcess.up(config)) {
      assertThat(berth.awaitLine("app web: ready", WAIT)).contains(", 1/1");
      assertThat(berth.awaitLine("app broken: FAILED", WAIT)).contains(", 0/1");
      assertThat(berth.awaitLine("broken.1: not ready", WAIT))
          .contains("broken.1: not ready within 3s: GET / answered 500 Internal Server Error");

      Path next = source("next", "v2", true);
      Cli deploy = Cli.run(config, "deploy", "web", next.toString());
      assertThat(deploy.exit()).as(deploy.out()).isEqualTo(1);
      assertThat(deploy.err())
          .contains("the running version keeps serving")
          .contains("web.1: not ready within 10s: GET / answered 500 Internal Server Error");
      assertThat(deploy.out()).doesNotContain("-----> switch");
      Curl.Response version = Curl.get("http://127.0.0.1:" + port + "/version");
      assertThat(version.status()).isEqualTo(200);
      assertThat(version.body()).isEqualTo("v1\n");
      assertThat(berth.terminate(WAIT)).isZero();
    }
  }

  @Test
  void theProbesCarryTheHostOfTheRouteOrOfTheHealthCheckAndThePrefix() throws Exception {
    Path dir = source("fussy", "v1", false);
    int port = BerthProcess.freePort();
    Path config =
        config(
            port,
            """
            [apps.site]
            dir = "%1$s"
            command = "%2$s"
            user = "root"
            env = { ALLOWED_HOST = "www.example.test" }
            health_check = { path = "/", interval = "1s" }

            [apps.blog]
            dir = "%1$s"
            command = "%2$s"
            user = "root"
            env = { ALLOWED_HOST = "blog.internal" }
            health_check = { path = "/", host = "blog.internal", interval = "1s" }

            [[routes]]
            host = "www.example.test"
            app = "site"

            [[routes]]
            path = "/blog"
            app = "blog"
            """
                .formatted(dir, GUNICORN));
    try (BerthProcess berth = BerthProcess.up(config)) {
      // Ready needs a 2xx from the health check: the app refuses any other Host with a 400.
      assertThat(berth.awaitLine("app site: ready", WAIT)).contains(", 1/1");
      assertThat(berth.awaitLine("app blog: ready", WAIT)).contains(", 1/1");

      JsonNode site = json(port, "www.example.test", "/first");
      assertThat(site.path("HTTP_HOST").asText()).isEqualTo("www.example.test");
      assertThat(site.path("HTTP_USER_AGENT").asText()).isEqualTo("berth-readiness");
      assertThat(site.path("SCRIPT_NAME").asText()).isEmpty();
      assertThat(site.path("PATH_INFO").asText()).isEqualTo("/");
      assertThat(site.path("HTTP_X_FORWARDED_PROTO").asText()).isEqualTo("http");

      // Under /blog the worker's first request had the mount point, as a routed one would.
      JsonNode blog = json(port, "blog.internal", "/blog/first");
      assertThat(blog.path("HTTP_HOST").asText()).isEqualTo("blog.internal");
      assertThat(blog.path("HTTP_USER_AGENT").asText()).isEqualTo("berth-readiness");
      assertThat(blog.path("SCRIPT_NAME").asText()).isEqualTo("/blog");
      assertThat(blog.path("PATH_INFO").asText()).isEqualTo("/");
      assertThat(blog.path("HTTP_X_FORWARDED_PREFIX").asText()).isEqualTo("/blog");
      assertThat(blog.path("HTTP_X_FORWARDED_HOST").asText()).isEqualTo("blog.internal");

      // The periodic checks pass too: each app counts the ones it refused.
      for (String[] app :
          new String[][] {{"www.example.test", "/checks"}, {"blog.internal", "/blog/checks"}}) {
        JsonNode checks =
            Await.value(
                "health checks of " + app[0],
                WAIT,
                () -> json(port, app[0], app[1]),
                c -> c.path("passed").asInt() >= 2);
        assertThat(checks.path("refused").asInt()).as(app[0]).isZero();
      }
      assertThat(berth.terminate(WAIT)).isZero();
    }
  }

  /** What the app answers on {@code path} through the edge, as JSON. */
  private static JsonNode json(int port, String host, String path) throws Exception {
    Curl.Response response = Curl.get("http://127.0.0.1:" + port + path, "-H", "Host: " + host);
    assertThat(response.status()).as(response.body()).isEqualTo(200);
    return JSON.readTree(response.body());
  }
}
