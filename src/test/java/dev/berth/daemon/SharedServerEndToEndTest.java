package dev.berth.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.testing.Await;
import dev.berth.testing.BerthProcess;
import dev.berth.testing.Curl;
import dev.berth.testing.DocBlocks;
import dev.berth.testing.Exec;
import dev.berth.testing.FrontServer;
import dev.berth.testing.LauncherInstall;
import dev.berth.testing.TestUser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 25, docs/shared-server.md done as written: two unprivileged users, alice and bob (made by
 * the test), each with their own berth on a unix-socket listener in a directory the administrator
 * made for them, behind Debian's apache2 and nginx configured with the page's blocks (read from the
 * page, so that it cannot drift from what works). Through each front server: the link, the redirect
 * and the POST of the page's Flask app under the user's prefix, and the client's address in the app
 * and in berth's access log. bob can neither reach, bind, read nor control anything of alice's; a
 * group-readable .env is warned about; a killed berth comes back by the watchdog line.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SharedServerEndToEndTest {

  private static final String PAGE = "docs/shared-server.md";

  /** The address curl sends from: not the front server's own (127.0.0.1), so that it shows. */
  private static final String CLIENT = "127.0.0.2";

  @TempDir static Path tmp;

  private static final List<AutoCloseable> CLEANUP = new ArrayList<>();
  private static DocBlocks doc;
  private static TestUser alice;
  private static TestUser bob;
  private static Path launcher;
  private static FrontServer apache;
  private static FrontServer nginx;
  private static String checkWithReadableEnv;

  @BeforeAll
  static void sharedServer() throws Exception {
    Assumptions.assumeTrue(
        "root".equals(System.getProperty("user.name")),
        "root makes the users and the front servers");
    assertThat(FrontServer.installed())
        .as("apache2 and nginx are installed (scripts/install-deps.sh --tests)")
        .isTrue();
    doc = DocBlocks.of(PAGE);
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    alice = user("ba");
    bob = user("bb");

    // The administrator's steps: a directory per user for the socket, then the front servers.
    String install = doc.block("sh", "install -d -o alice");
    Exec.ok(tmp, "sh", "-ec", adminPaths(install));
    String a2enmod = doc.block("sh", "a2enmod");
    List<String> modules =
        Arrays.stream(a2enmod.substring(a2enmod.indexOf("a2enmod") + 7).split("&&")[0].split(" "))
            .filter(m -> !m.isBlank())
            .toList();
    apache =
        closeLater(
            FrontServer.apache(
                tmp.resolve("apache"), modules, adminPaths(doc.block("apache", "ProxyPass"))));
    nginx =
        closeLater(
            FrontServer.nginx(tmp.resolve("nginx"), adminPaths(doc.block("nginx", "proxy_pass"))));

    // Each user: the page's app and berth.toml under ~/site, as the user; berth as the user.
    launcher = LauncherInstall.into(tmp.resolve("opt/berth"));
    for (TestUser user : List.of(alice, bob)) {
      Path site = user.home().resolve("site");
      BerthProcess.write(site.resolve("app1/app.py"), doc.block("python", "ProxyFix(app.wsgi_app"));
      BerthProcess.write(
          site.resolve("berth.toml"), userPaths(user, doc.block("toml", "[[listeners]]")));
      Path env =
          BerthProcess.write(site.resolve("app1/.env"), "SECRET_KEY=" + user.name() + "-secret\n");
      Files.setPosixFilePermissions(env, PosixFilePermissions.fromString("rw-r--r--"));
      if (user == bob) {
        django(site);
      }
      user.own(site);
    }
    checkWithReadableEnv = berth(alice, "check").output();
    for (TestUser user : List.of(alice, bob)) {
      // The page's advice: the folder and the .env private.
      String chmods = doc.block("sh", "chmod 700 ~/site") + "chmod 600 ~/site/app1/.env\n";
      Exec chmod = user.run("sh", "-ec", chmods);
      assertThat(chmod.exit()).as(chmod.output()).isZero();
    }
    // Both at once: each start waits for its apps to be ready.
    CompletableFuture<Void> bobsUp =
        CompletableFuture.runAsync(
            () -> {
              try {
                up(bob);
              } catch (Exception e) {
                throw new CompletionException(e);
              }
            });
    up(alice);
    bobsUp.join();
  }

  @AfterAll
  static void cleanUp() throws Exception {
    for (AutoCloseable closeable : CLEANUP.reversed()) {
      closeable.close();
    }
  }

  @Test
  @Order(1)
  void eachUsersAppAnswersUnderItsPrefixThroughApacheAndNginx() throws Exception {
    for (FrontServer front : List.of(apache, nginx)) {
      for (TestUser user : List.of(alice, bob)) {
        String prefix = "/" + user.name() + "/app1";
        String what = front.name() + ", " + user.name() + ": ";

        Curl.Response index = Curl.get(front.url(prefix + "/"), "--interface", CLIENT);
        assertThat(index.status()).as(what + index.body() + front.errorLog()).isEqualTo(200);
        assertThat(index.body())
            .as(what + "the client's address, and url_for under the prefix")
            .contains("Hello world, from " + CLIENT)
            .contains("href=\"" + prefix + "/greet\"");

        Curl.Response form = Curl.get(front.url(prefix + "/greet"), "--interface", CLIENT);
        assertThat(form.body()).as(what).contains("action=\"" + prefix + "/greet\"");

        Curl.Response post =
            Curl.get(front.url(prefix + "/greet"), "--interface", CLIENT, "-d", "name=ada");
        assertThat(post.status()).as(what + post.body()).isEqualTo(302);
        String location = post.header("location");
        assertThat(location)
            .as(what + "the redirect, under the prefix")
            .endsWith(prefix + "/?name=ada");

        Curl.Response greeted = Curl.get(front.url(prefix + "/?name=ada"), "--interface", CLIENT);
        assertThat(greeted.body()).as(what).contains("Hello ada, from " + CLIENT);
      }
    }
    for (TestUser user : List.of(alice, bob)) {
      Exec status = berth(user, "status");
      assertThat(status.output()).as("who serves what").contains("/" + user.name() + "/app1");
      Path log = user.home().resolve("site/.berth/log/access.log");
      Await.until(
          "berth's access log of " + user.name() + " to name the client, not the front server",
          () ->
              Files.exists(log)
                  && Files.readAllLines(log).stream()
                      .anyMatch(
                          line ->
                              line.startsWith(CLIENT + " ")
                                  && line.contains("\"POST /" + user.name() + "/app1/greet ")));
    }
  }

  @Test
  @Order(3)
  void aGroupOrOtherReadableEnvIsWarnedAbout() throws Exception {
    Path env = alice.home().resolve("site/app1/.env");
    assertThat(checkWithReadableEnv)
        .contains(env + " is readable by group " + alice.name() + " and others (mode 0644)")
        .contains("chmod 600 " + env);
    Exec check = berth(alice, "check");
    assertThat(check.exit()).as(check.output()).isZero();
    assertThat(check.output()).as("after chmod 600").doesNotContain("is readable by");
  }

  @Test
  @Order(4)
  void bobCannotReachReadNorControlAnythingOfAlices() throws Exception {
    Path socket = socket(alice);
    assertThat(socket).as("alice's berth serves on its socket").exists();
    Exec connect = bob.run("curl", "-sS", "--unix-socket", socket.toString(), "http://localhost/");
    assertThat(connect.exit())
        .as("bob connects to alice's socket: " + connect.output())
        .isNotZero();
    assertThat(cannotBind(socket)).isTrue();

    Path env = alice.home().resolve("site/app1/.env");
    Exec read = bob.run("cat", env.toString());
    assertThat(read.exit()).as("bob reads alice's .env: " + read.output()).isNotZero();
    assertThat(read.output()).doesNotContain("secret");

    // bob's CLI aimed at alice's state dir (her berth.toml he cannot even read).
    Path config =
        BerthProcess.write(
            bob.home().resolve("spy/berth.toml"),
            "state_dir = \""
                + alice.home().resolve("site/.berth")
                + "\"\n[[listeners]]\naddress = \"127.0.0.1:8100\"\n");
    bob.own(config.getParent());
    Exec status = bob.run(berthCommand(List.of("status", "--config", config.toString())));
    assertThat(status.exit()).as("bob's berth status on alice's: " + status.output()).isNotZero();
    assertThat(status.output()).contains("permission denied on control socket");
    Exec stop = bob.run(berthCommand(List.of("stop", "app1", "--config", config.toString())));
    assertThat(stop.exit()).as(stop.output()).isNotZero();
    assertThat(stop.output()).contains("permission denied on control socket");
    assertThat(Curl.get(apache.url("/" + alice.name() + "/app1/")).status())
        .as("alice's app still serves")
        .isEqualTo(200);
  }

  @Test
  @Order(2)
  void theDjangoMiddlewareGivesTheClientsAddress() throws Exception {
    for (FrontServer front : List.of(apache, nginx)) {
      Curl.Response response =
          Curl.get(front.url("/" + bob.name() + "/app2/"), "--interface", CLIENT);
      assertThat(response.status()).as(front.name() + ": " + response.body()).isEqualTo(200);
      // Apache's block says X-Forwarded-Proto: https; nginx's passes its own scheme, http here.
      assertThat(response.body())
          .as(front.name())
          .isEqualTo(CLIENT + " secure=" + (front == apache ? "True" : "False"));
    }
  }

  /**
   * bob's second app: Django in one file, with the page's middleware as {@code realip.py} and
   * nothing else of the page's about the scheme (gunicorn takes it from X-Forwarded-Proto).
   */
  private static void django(Path site) throws Exception {
    BerthProcess.write(site.resolve("app2/realip.py"), doc.block("python", "def real_ip"));
    BerthProcess.write(
        site.resolve("app2/project.py"),
        """
        from django.conf import settings

        settings.configure(
            ALLOWED_HOSTS=["*"],
            ROOT_URLCONF=__name__,
            SECRET_KEY="test",
            MIDDLEWARE=["realip.real_ip"],
        )

        from django.core.wsgi import get_wsgi_application
        from django.http import HttpResponse
        from django.urls import path


        def index(request):
            return HttpResponse(f"{request.META['REMOTE_ADDR']} secure={request.is_secure()}")


        urlpatterns = [path("", index)]
        application = get_wsgi_application()
        """);
    Path config = site.resolve("berth.toml");
    Files.writeString(
        config,
        Files.readString(config)
            + """

            [apps.app2]
            dir = "app2"
            command = "gunicorn project:application"

            [[routes]]
            path = "/%s/app2"
            app = "app2"
            """
                .formatted(bob.name()));
  }

  @Test
  @Order(5)
  void theWatchdogLineBringsAKilledBerthBack() throws Exception {
    String watchdog = watchdogLine(alice);
    long pid = berthPid(alice);
    Exec alive = cron(alice, watchdog);
    assertThat(alive.exit()).as(alive.output()).isZero();
    assertThat(berthPid(alice)).as("the watchdog leaves a running berth alone").isEqualTo(pid);

    ProcessHandle berth = ProcessHandle.of(pid).orElseThrow();
    berth.destroyForcibly();
    Await.until("alice's berth to die", () -> !berth.isAlive());
    assertThat(cannotBind(socket(alice)))
        .as("while alice's berth is down, bob cannot take her socket's path")
        .isTrue();

    Exec revived = cron(alice, watchdog);
    assertThat(revived.exit()).as(revived.output()).isZero();
    assertThat(berthPid(alice)).isNotEqualTo(pid);
    Curl.Response index = Curl.get(apache.url("/" + alice.name() + "/app1/"));
    assertThat(index.status()).as(index.body() + apache.errorLog()).isEqualTo(200);
  }

  /**
   * The command of the watchdog line that {@code berth service install --cron} puts in the user's
   * crontab, as its dry run prints it: {@code *}{@code /5 * * * * COMMAND}.
   */
  private static String watchdogLine(TestUser user) throws Exception {
    Exec plan = berth(user, "service", "install", "--cron", "--dry-run");
    assertThat(plan.exit()).as(plan.output()).isZero();
    return plan.output()
        .lines()
        .map(String::strip)
        .filter(line -> line.startsWith("*/5 * * * * ") && line.contains("--detach"))
        .map(line -> line.substring("*/5 * * * * ".length()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no watchdog line in:\n" + plan.output()));
  }

  /** {@code command} as cron runs it for the user: /bin/sh -c, PATH=/usr/bin:/bin, in HOME. */
  private static Exec cron(TestUser user, String command) throws Exception {
    // crontab(5): cron unescapes a % as the line's standard input starts after it.
    return user.run(Map.of("PATH", "/usr/bin:/bin"), "/bin/sh", "-c", command.replace("\\%", "%"));
  }

  /** The pid of the user's berth, as {@code berth ping} tells it. */
  private static long berthPid(TestUser user) throws Exception {
    Exec ping = berth(user, "ping");
    assertThat(ping.exit()).as(ping.output()).isZero();
    java.util.regex.Matcher pid =
        java.util.regex.Pattern.compile("pid (\\d+)").matcher(ping.output());
    assertThat(pid.find()).as(ping.output()).isTrue();
    return Long.parseLong(pid.group(1));
  }

  /** Whether bob's attempt to bind a unix socket at {@code path} fails. */
  private static boolean cannotBind(Path path) throws Exception {
    Exec bind =
        bob.run(
            "/usr/bin/python3",
            "-c",
            "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])",
            path.toString());
    return bind.exit() != 0 && bind.output().contains("PermissionError");
  }

  // ---- the users and their berths ----

  private static TestUser user(String prefix) throws Exception {
    return closeLater(TestUser.create(prefix, tmp.resolve("home")));
  }

  private static <T extends AutoCloseable> T closeLater(T closeable) {
    CLEANUP.add(closeable);
    return closeable;
  }

  /** The page's admin commands and blocks with the test's users and directory for /srv. */
  private static String adminPaths(String text) {
    return text.replace("/srv/", tmp.resolve("srv") + "/")
        .replace("alice", alice.name())
        .replace("bob", bob.name());
  }

  /** The page's berth.toml (alice's) made {@code user}'s. */
  private static String userPaths(TestUser user, String text) {
    return text.replace("/srv/alice/", tmp.resolve("srv/" + user.name()) + "/")
        .replace("/alice/", "/" + user.name() + "/");
  }

  private static Path socket(TestUser user) {
    return tmp.resolve("srv/" + user.name() + "/berth.sock");
  }

  /** {@code berth ARGS} as {@code user}, in ~/site, to its end. */
  private static Exec berth(TestUser user, String... args) throws Exception {
    return Exec.run(
        user.home().resolve("site"),
        Map.of(),
        java.time.Duration.ofMinutes(2),
        user.command(Map.of(), berthCommand(List.of(args))));
  }

  /** berth as a user runs it: the launcher the administrator installed. */
  private static List<String> berthCommand(List<String> args) {
    List<String> command = new ArrayList<>(List.of(launcher.toString()));
    command.addAll(args);
    return command;
  }

  /** The page's `berth up --detach`, as the user in ~/site. */
  private static void up(TestUser user) throws Exception {
    Exec up = berth(user, "up", "--detach");
    assertThat(up.exit()).as(user.name() + "'s berth up --detach: " + up.output()).isZero();
  }
}
