package dev.berth.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.testing.BerthProcess;
import dev.berth.testing.Cli;
import dev.berth.testing.Curl;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The release phase (a migration) runs where the app's data would be wrong without it: before the
 * first start's instances, when a current release never ran it, and before an {@code env set}
 * restart. One that fails holds the app back (first start) or refuses the change (env set), as a
 * failed deploy leaves the running version serving.
 */
class FirstStartPhasesEndToEndTest {

  private static final Duration WAIT = Duration.ofSeconds(60);

  /** A migration: it records what it migrated in the app's data dir, or fails when FAIL=1. */
  private static final String MIGRATE =
      """
      #!/bin/sh
      if [ "$FAIL" = 1 ]; then echo "migration 0042 failed"; exit 3; fi
      echo "migrated $(cat VERSION) with DB=${DB:-none}" | tee "$BERTH_DATA_DIR/migrated"
      """;

  @TempDir Path tmp;
  private Path source;
  private Path config;
  private int port;

  @BeforeEach
  void app() throws Exception {
    // A root berth runs the app as nobody, who must pass through tmp to its release and data.
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    source = Files.createDirectories(tmp.resolve("src"));
    try (Stream<Path> files = Files.list(BerthProcess.testApp())) {
      for (Path file : files.filter(p -> p.toString().endsWith(".py")).toList()) {
        Files.copy(file, source.resolve(file.getFileName()));
      }
    }
    Files.writeString(source.resolve("VERSION"), "v1\n");
    Files.writeString(source.resolve("migrate.sh"), MIGRATE);
  }

  @Test
  void theFirstStartMigratesBeforeServingAndEnvSetMigratesBeforeItsRestart() throws Exception {
    try (BerthProcess berth = up("release = \"/bin/sh migrate.sh\"")) {
      assertThat(berth.output())
          .contains("berth: app web: release: /bin/sh migrate.sh")
          .contains("| migrated v1 with DB=none")
          .containsPattern("berth: app web: ready, 1/1 instance\\(s\\) \\(.*\\), release 1");
      // Before the instance: the migration's line comes first.
      assertThat(berth.output().indexOf("migrated v1"))
          .isLessThan(berth.output().indexOf("app web: ready"));
      assertThat(migrated()).isEqualTo("migrated v1 with DB=none");

      Cli set = cli("env", "web", "set", "DB=postgres");
      assertThat(set.exit()).as(set.err()).isZero();
      assertThat(set.out())
          .contains("-----> release  /bin/sh migrate.sh", "migrated v1 with DB=postgres");
      assertThat(migrated()).isEqualTo("migrated v1 with DB=postgres");
      assertThat(get("/env/DB")).isEqualTo("postgres");

      // A migration that fails refuses the change: nothing stored, nothing restarted.
      Cli failing = cli("env", "web", "set", "FAIL=1");
      assertThat(failing.exit()).isEqualTo(1);
      assertThat(failing.err())
          .contains("env of web not changed: release phase exited with code 3")
          .contains("migration 0042 failed");
      assertThat(cli("env", "web").out()).doesNotContain("FAIL=");
      assertThat(get("/env/DB")).isEqualTo("postgres");

      // --skip-release applies it all the same.
      Cli skipped = cli("env", "web", "set", "FAIL=1", "--skip-release");
      assertThat(skipped.exit()).as(skipped.err()).isZero();
      assertThat(skipped.out()).doesNotContain("-----> release");
      assertThat(cli("env", "web").out()).contains("FAIL=1");
    }
  }

  @Test
  void aMigrationThatFailsAtTheFirstStartHoldsTheAppBackUntilADeployOfTheFix() throws Exception {
    Files.writeString(source.resolve(".env"), "FAIL=1\n");
    try (BerthProcess berth = up("release = \"/bin/sh migrate.sh\"")) {
      assertThat(berth.output())
          .contains(
              "berth: app web: FAILED, not started: release phase exited with code 3 (/bin/sh"
                  + " migrate.sh)")
          .contains("berth:   once fixed, `berth deploy web` starts it (or restart berth)");
      assertThat(Curl.get(url("/")).status()).isGreaterThanOrEqualTo(500);
      assertThat(tmp.resolve("state/apps/web/releases/1")).doesNotExist();

      Files.writeString(source.resolve(".env"), "FAIL=0\n");
      Cli deploy = cli("deploy", "web");
      assertThat(deploy.exit()).as(deploy.out() + deploy.err()).isZero();
      assertThat(deploy.out())
          .contains("migrated v1 with DB=none")
          .contains("-----> start    1 web (release 1), ready")
          .contains("web release 1 is current");
      assertThat(get("/version")).isEqualTo("v1");
    }
  }

  @Test
  void aCurrentReleaseThatNeverRanTheReleasePhaseRunsItAtTheNextStart() throws Exception {
    try (BerthProcess berth = up("")) {
      assertThat(berth.output()).doesNotContain("migrate.sh");
      assertThat(berth.terminate(WAIT)).isZero();
    }
    // The config gains a release phase; the folder is unchanged, so release 1 runs again.
    try (BerthProcess berth = up("release = \"/bin/sh migrate.sh\"")) {
      assertThat(berth.output())
          .contains("berth: app web: release 1 never ran its release phase: running it now")
          .contains("| migrated v1 with DB=none")
          .doesNotContain("copied from");
      assertThat(berth.terminate(WAIT)).isZero();
    }
    // Once run, it is not run again.
    try (BerthProcess berth = up("release = \"/bin/sh migrate.sh\"")) {
      assertThat(berth.output()).doesNotContain("never ran").doesNotContain("| migrated");
    }
  }

  private BerthProcess up(String extra) throws Exception {
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
                  dir = "%s"
                  command = "/usr/bin/gunicorn --workers 1 wsgi:app"
                  stop_timeout = "5s"
                  %s

                  [[routes]]
                  path = "/"
                  app = "web"
                  """
                      .formatted(tmp, freePort, source, extra));
          return config;
        });
  }

  private Cli cli(String... args) {
    return Cli.run(config, args);
  }

  private String url(String path) {
    return "http://127.0.0.1:" + port + path;
  }

  private String get(String path) throws Exception {
    Curl.Response response = Curl.get(url(path));
    assertThat(response.status()).as(response.body()).isEqualTo(200);
    return response.body().strip();
  }

  private String migrated() throws Exception {
    return Files.readString(tmp.resolve("state/data/web/migrated")).strip();
  }
}
