package dev.berth.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.testing.BerthProcess;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An instance takes traffic once it answers; with a health check, once that answers 2xx or 3xx. */
class ReadinessEndToEndTest {

  @TempDir Path tmp;

  @Test
  void aHealthCheckMustAnswer2xxBeforeTheInstanceIsReady() throws Exception {
    int port = BerthProcess.freePort();
    Path config =
        BerthProcess.write(
            tmp.resolve("berth.toml"),
            """
            state_dir = "%1$s/state"

            [[listeners]]
            address = "127.0.0.1:%2$d"

            [apps.healthy]
            dir = "%3$s"
            command = "gunicorn wsgi:app"
            user = "root"
            health_check = { path = "/status/204" }

            [apps.sick]
            dir = "%3$s"
            command = "gunicorn wsgi:app"
            user = "root"
            start_timeout = "2s"
            stop_timeout = "2s"
            max_restarts = 0
            health_check = { path = "/status/503" }
            """
                .formatted(tmp, port, BerthProcess.testApp()));
    try (BerthProcess berth = BerthProcess.up(config)) {
      assertThat(berth.awaitLine("app healthy: ready", Duration.ofSeconds(30))).contains(", 1/1");
      assertThat(berth.awaitLine("app sick: FAILED", Duration.ofSeconds(30))).contains(", 0/1");
      assertThat(berth.awaitLine("sick.1: not ready", Duration.ofSeconds(30)))
          .contains("sick.1: not ready within 2s: GET /status/503 (its health check) answered 503");
      assertThat(berth.terminate(Duration.ofSeconds(30))).isZero();
    }
  }
}
