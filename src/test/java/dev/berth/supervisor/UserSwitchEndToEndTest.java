package dev.berth.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.config.ConfigException;
import dev.berth.config.ConfigLoader;
import dev.berth.config.UserAccount;
import dev.berth.testing.BerthProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A root berth runs each app as its user: nobody when the config names none, root only when it says
 * so. (The tests run as root, as CI does; elsewhere they are skipped.)
 */
class UserSwitchEndToEndTest {

  @TempDir Path tmp;
  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();

  @Test
  void appsRunAsNobodyByDefaultAndAsRootOnlyWhenSaid() throws Exception {
    Assumptions.assumeTrue(UserAccount.currentUid() == 0, "berth must run as root for this test");
    // nobody must reach the app's files: a copy of the test app in a directory others may read.
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path app = Files.createDirectory(tmp.resolve("app"));
    try (Stream<Path> files = Files.list(BerthProcess.testApp())) {
      for (Path file : files.filter(p -> p.toString().endsWith(".py")).toList()) {
        Files.copy(file, app.resolve(file.getFileName()));
      }
    }
    int port = BerthProcess.freePort();
    Path config =
        BerthProcess.write(
            tmp.resolve("berth.toml"),
            """
            state_dir = "%1$s/state"

            [[listeners]]
            address = "127.0.0.1:%2$d"

            [apps.plain]
            dir = "%1$s/app"
            command = "gunicorn wsgi:app"
            stop_timeout = "2s"

            [apps.admin]
            dir = "%1$s/app"
            command = "gunicorn wsgi:app"
            user = "root"
            stop_timeout = "2s"

            [[routes]]
            path = "/plain"
            app = "plain"
            strip_prefix = true

            [[routes]]
            path = "/admin"
            app = "admin"
            strip_prefix = true
            """
                .formatted(tmp, port));
    UserAccount nobody = UserAccount.lookup("nobody").orElseThrow();
    try (BerthProcess berth = BerthProcess.up(config)) {
      JsonNode plain = whoami(port, "/plain/whoami");
      assertThat(plain.path("uid").asLong()).isEqualTo(nobody.uid());
      assertThat(plain.path("gid").asLong()).isEqualTo(nobody.gid());
      assertThat(plain.path("user").asText()).isEqualTo("nobody");
      assertThat(whoami(port, "/admin/whoami").path("uid").asLong()).isZero();

      // Its socket directory is its own; the state dir lets it pass, and shows nothing else.
      Path sockets = tmp.resolve("state/run/plain");
      assertThat(Files.getAttribute(sockets, "unix:uid")).isEqualTo((int) nobody.uid());
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(sockets)))
          .isEqualTo("rwx------");
      assertThat(
              PosixFilePermissions.toString(
                  Files.getPosixFilePermissions(tmp.resolve("state/run"))))
          .isEqualTo("rwx--x--x");
      assertThat(
              PosixFilePermissions.toString(
                  Files.getPosixFilePermissions(tmp.resolve("state/processes.json"))))
          .isEqualTo("rw-------");
      assertThat(berth.terminate(Duration.ofSeconds(30))).isZero();
    }
  }

  @Test
  void anUnknownUserIsAConfigErrorWithItsLine() throws Exception {
    Path config =
        BerthProcess.write(
            tmp.resolve("berth.toml"),
            "[[listeners]]\naddress = \"127.0.0.1:1\"\n\n[apps.web]\ncommand = \"x\"\nuser = \"no-such-user-berth\"\n");
    try {
      ConfigLoader.load(config);
      throw new AssertionError("loaded");
    } catch (ConfigException e) {
      assertThat(e.problems())
          .containsExactly(
              "berth.toml:6: apps.web.user: \"no-such-user-berth\" (expected: a user name or uid known to this host"
                  + " (getent passwd); no such user)");
    }
  }

  private JsonNode whoami(int port, String path) throws Exception {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return json.readTree(response.body());
  }
}
