package dev.berth.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.config.UserAccount;
import dev.berth.testing.BerthProcess;
import dev.berth.testing.Cli;
import dev.berth.testing.Curl;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * App data survives deploys: a root berth runs a small stdlib app as nobody, which keeps rows in a
 * sqlite file in {@code $BERTH_DATA_DIR}; the rows are there after two deploys and a rollback, and
 * the directory is nobody's, 0700, outside the releases. The same berth shows the PATH an app
 * switched to nobody gets: the system's, or the app's own.
 */
class AppDataEndToEndTest {

  private static final String SYSTEM_PATH =
      "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  /** POST / adds the body as a row; GET / lists the rows; GET /env shows what the app sees. */
  private static final String APP =
      """
      import json, os, sqlite3
      from http.server import BaseHTTPRequestHandler, HTTPServer

      DB = os.path.join(os.environ["BERTH_DATA_DIR"], "notes.db")

      def db():
          c = sqlite3.connect(DB)
          c.execute("create table if not exists notes (text)")
          return c

      class Handler(BaseHTTPRequestHandler):
          def do_GET(self):
              if self.path == "/env":
                  body = json.dumps({
                      "data": os.environ.get("BERTH_DATA_DIR"),
                      "path": os.environ.get("PATH"),
                      "uid": os.getuid(),
                      "version": open("VERSION").read().strip()})
              else:
                  c = db()
                  body = "\\n".join(r[0] for r in c.execute("select text from notes order by rowid"))
                  c.close()
              self.reply(200, body)

          def do_POST(self):
              text = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
              c = db()
              with c:
                  c.execute("insert into notes values (?)", (text,))
              c.close()
              self.reply(201, "added")

          def reply(self, status, body):
              data = body.encode()
              self.send_response(status)
              self.send_header("Content-Length", str(len(data)))
              self.end_headers()
              self.wfile.write(data)

          def log_message(self, *args):
              pass

      HTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
      """;

  @TempDir Path tmp;
  private final ObjectMapper json = new ObjectMapper();
  private int port;

  @Test
  void rowsWrittenToTheDataDirSurviveTwoDeploysAndARollback() throws Exception {
    Assumptions.assumeTrue(UserAccount.currentUid() == 0, "berth must run as root for this test");
    UserAccount nobody = UserAccount.lookup("nobody").orElseThrow();
    // nobody must reach the configured dir, which it runs from before the first deploy.
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path source = Files.createDirectory(tmp.resolve("src"));
    Files.writeString(source.resolve("app.py"), APP);
    Files.writeString(source.resolve("VERSION"), "v0\n");
    Path data = tmp.resolve("state/data/notes");
    try (BerthProcess berth =
        BerthProcess.upOnFreePort(
            freePort -> {
              port = freePort;
              return BerthProcess.write(
                  tmp.resolve("berth.toml"),
                  """
                  state_dir = "%1$s/state"

                  [[listeners]]
                  address = "127.0.0.1:%2$d"

                  [apps.notes]
                  dir = "%1$s/src"
                  command = "/usr/bin/python3 app.py"
                  socket = "tcp"
                  build = "echo build sees $BERTH_DATA_DIR"
                  stop_timeout = "2s"
                  drain_timeout = "2s"

                  [apps.pathy]
                  dir = "%1$s/src"
                  command = "python3 app.py"
                  socket = "tcp"
                  env = { PATH = "/usr/bin:/bin:/opt/custom/bin" }
                  stop_timeout = "2s"

                  [[routes]]
                  path = "/pathy"
                  app = "pathy"
                  strip_prefix = true

                  [[routes]]
                  path = "/"
                  app = "notes"
                  """
                      .formatted(tmp, freePort));
            })) {
      JsonNode env = env("/env");
      assertThat(env.path("data").asText()).isEqualTo(data.toString());
      assertThat(env.path("uid").asLong()).isEqualTo(nobody.uid());
      assertThat(env.path("path").asText())
          .as("nobody gets the system's PATH, not root's")
          .isEqualTo(SYSTEM_PATH);
      assertThat(env("/pathy/env").path("path").asText())
          .as("an app that sets PATH keeps it")
          .isEqualTo("/usr/bin:/bin:/opt/custom/bin");
      assertThat(env("/pathy/env").path("data").asText())
          .isEqualTo(tmp.resolve("state/data/pathy").toString());

      // berth up made release 1 from the folder; the deploys make 2 and 3.
      add("before any deploy");
      deploy("v1", 2);
      add("on release 1");
      assertThat(rows()).isEqualTo("before any deploy\non release 1");
      deploy("v2", 3);
      assertThat(rows()).isEqualTo("before any deploy\non release 1");
      add("on release 2");

      Cli rollback = Cli.run(tmp.resolve("berth.toml"), "rollback", "notes");
      assertThat(rollback.exit()).as(rollback.out() + rollback.err()).isZero();
      assertThat(env("/env").path("version").asText()).isEqualTo("v1");
      assertThat(rows()).isEqualTo("before any deploy\non release 1\non release 2");

      // A deploy checks the new release's commands after its build: with a PATH (set with berth
      // env) on which the program is not, it fails before anything starts.
      Path config = tmp.resolve("berth.toml");
      // (env set's rolling restart fails already: the running instance keeps serving.)
      Cli set = Cli.run(config, "env", "pathy", "set", "PATH=/nowhere");
      assertThat(set.exit()).as(set.out() + set.err()).isEqualTo(1);
      Cli refused = Cli.run(config, "deploy", "pathy");
      assertThat(refused.exit()).isNotZero();
      assertThat(refused.out() + refused.err())
          .contains("web: python3: not found for user nobody (PATH=/nowhere)");
      assertThat(env("/pathy/env").path("path").asText())
          .as("the running version keeps serving")
          .isEqualTo("/usr/bin:/bin:/opt/custom/bin");

      assertThat(Files.getAttribute(data, "unix:uid", LinkOption.NOFOLLOW_LINKS))
          .isEqualTo((int) nobody.uid());
      assertThat(Files.getPosixFilePermissions(data))
          .isEqualTo(PosixFilePermissions.fromString("rwx------"));
      assertThat(data.resolve("notes.db")).isRegularFile();
    }
  }

  private void deploy(String version, int release) throws Exception {
    Files.writeString(tmp.resolve("src/VERSION"), version + "\n");
    Cli deploy = Cli.run(tmp.resolve("berth.toml"), "deploy", "notes");
    assertThat(deploy.exit()).as(deploy.out() + deploy.err()).isZero();
    assertThat(deploy.out())
        .contains("build sees " + tmp.resolve("state/data/notes"))
        .contains("notes release " + release + " is current");
    assertThat(env("/env").path("version").asText()).isEqualTo(version);
  }

  private void add(String row) throws Exception {
    Curl.Response response = Curl.get(url("/"), "--data-binary", row);
    assertThat(response.status()).as(response.body()).isEqualTo(201);
  }

  private String rows() throws Exception {
    Curl.Response response = Curl.get(url("/"));
    assertThat(response.status()).as(response.body()).isEqualTo(200);
    return response.body();
  }

  private JsonNode env(String path) throws Exception {
    Curl.Response response = Curl.get(url(path));
    assertThat(response.status()).as(response.body()).isEqualTo(200);
    return json.readTree(response.body());
  }

  private String url(String path) {
    return "http://127.0.0.1:" + port + path;
  }
}
