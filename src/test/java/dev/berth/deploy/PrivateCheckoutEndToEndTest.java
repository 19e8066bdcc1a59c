package dev.berth.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.config.UserAccount;
import dev.berth.testing.Await;
import dev.berth.testing.BerthProcess;
import dev.berth.testing.Cli;
import dev.berth.testing.Curl;
import dev.berth.testing.Exec;
import dev.berth.testing.ReadableClasspath;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 21: the README's first command serves the bundled examples wherever the checkout is. A root
 * berth runs its apps as nobody, from releases it copies out of the app folders into its own state
 * dir, so a checkout nobody cannot enter (a 0700 temporary directory, {@code /root}) serves as well
 * as any; a berth run by a user in a private home keeps its state beside the config. The examples
 * are the repository's own, with only the listener's port changed.
 */
class PrivateCheckoutEndToEndTest {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String NOBODY_PATH = "/usr/local/bin:/usr/bin:/bin";

  private int port;

  @Test
  void rootServesACheckoutInAPrivateTemporaryDirectory(@TempDir Path tmp) throws Exception {
    assumeRoot();
    assertThat(Files.getPosixFilePermissions(tmp))
        .as("the checkout's directory is private, as mktemp -d makes it")
        .isEqualTo(PosixFilePermissions.fromString("rwx------"));
    servesAndReleasesFromTheFolder(tmp.resolve("examples"), true);
  }

  @Test
  void rootServesACheckoutInRootsHome() throws Exception {
    assumeRoot();
    Path root = Path.of("/root");
    Assumptions.assumeTrue(Files.isDirectory(root), "/root exists");
    Assumptions.assumeTrue(
        Files.getPosixFilePermissions(root).equals(PosixFilePermissions.fromString("rwx------")),
        "/root is 0700");
    Path home = Files.createTempDirectory(root, "berth-e2e");
    try {
      // Where the checkout is makes no difference past the first start: the rest of the round
      // (restart, deploy) runs in the case above only, to keep the test short.
      servesAndReleasesFromTheFolder(home.resolve("examples"), false);
    } finally {
      deleteTree(home);
    }
  }

  @Test
  void aUserServesACheckoutInTheirPrivateHome(@TempDir Path tmp) throws Exception {
    assumeRoot();
    UserAccount nobody = UserAccount.lookup("nobody").orElseThrow();
    // The test runs as root: nobody's berth gets a home of its own inside a directory it can pass.
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path home = Files.createDirectory(tmp.resolve("home"));
    Path examples = copyExamples(home.resolve("examples"));
    Exec.ok(tmp, "chown", "-R", nobody.uid() + ":" + nobody.gid(), home.toString());
    Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx------"));
    // nobody cannot read /root/.m2 nor the build's target/: it runs berth from copies.
    String classpath = ReadableClasspath.under(Files.createDirectory(tmp.resolve("classpath")));
    Path config = examples.resolve("berth.toml");

    try (BerthProcess berth = upAsNobody(nobody, home, classpath, config)) {
      assertThat(berth.output())
          .contains(
              "app onboarding: release 1 copied from "
                  + examples.resolve("onboarding")
                  + " (first start)");
      servesTheExamples();
      Path state = examples.resolve(".berth");
      assertThat(state.resolve("apps/onboarding/releases/1/wsgi.py")).isRegularFile();
      assertThat(state.resolve("data/onboarding")).isDirectory();
      // This JVM is root: its CLI finds nobody's berth in examples/.berth because that holds
      // releases now (a root berth keeps using a .berth an earlier berth kept releases in).
      for (String app : List.of("onboarding", "tasks")) {
        long pid = Cli.instance(config, app, 1).path("pid").asLong();
        assertThat(uids(pid))
            .as(app + "'s real, effective, saved and fs uid")
            .containsOnly(nobody.uid());
        assertThat(Files.readSymbolicLink(Path.of("/proc/" + pid + "/cwd")))
            .startsWith(state.resolve("apps/" + app + "/releases"));
      }
      stop(berth, config);
    }
  }

  /**
   * A root berth with the examples at {@code examples}: served from release 1; an edit goes live
   * with the next {@code berth up} (release 2). With {@code restartAndDeploy}: an edit and a
   * restart keep release 2 and say which files are not live, {@code berth deploy} makes them live;
   * after it, an edit and a restart keep release 3 and say so, as {@code berth status} does, and
   * the next up copies the folder.
   */
  private void servesAndReleasesFromTheFolder(Path examples, boolean restartAndDeploy)
      throws Exception {
    copyExamples(examples);
    Path config = examples.resolve("berth.toml");
    Path onboarding = examples.resolve("onboarding");
    Path state = rootStateDir(config);
    UserAccount nobody = UserAccount.lookup("nobody").orElseThrow();
    try {
      try (BerthProcess berth = up(config)) {
        assertThat(berth.output())
            .contains("app onboarding: release 1 copied from " + onboarding + " (first start)")
            .contains("app tasks: release 1 copied from " + examples.resolve("tasks"));
        servesTheExamples();
        assertThat(service()).isEqualTo("onboarding");
        for (String app : List.of("onboarding", "tasks")) {
          long pid = Cli.instance(config, app, 1).path("pid").asLong();
          assertThat(uids(pid))
              .as(app + "'s real, effective, saved and fs uid")
              .containsOnly(nobody.uid());
          assertThat(Files.readSymbolicLink(Path.of("/proc/" + pid + "/cwd")))
              .as(app + " runs from its release in berth's state dir")
              .isEqualTo(state.resolve("apps/" + app + "/releases/1").toRealPath());
        }
        edit(onboarding, "onboarding, edited");
        stop(berth, config);
      }

      try (BerthProcess berth = up(config)) {
        assertThat(berth.output())
            .contains(
                "app onboarding: release 2 copied from "
                    + onboarding
                    + " (its folder changed since release 1 was copied from it)")
            .as("tasks did not change")
            .doesNotContain("app tasks: release 2");
        assertThat(service()).isEqualTo("onboarding, edited");
        if (!restartAndDeploy) {
          stop(berth, config);
          return;
        }

        edit(onboarding, "onboarding, edited again");
        Cli restart = Cli.run(config, "restart", "onboarding");
        assertThat(restart.exit()).as(restart.out() + restart.err()).isZero();
        assertThat(restart.out())
            .contains(
                "berth: restarted onboarding; "
                    + onboarding
                    + " has changed since release 2 was copied from it (1 file changed: api.py);"
                    + " run 'berth deploy onboarding' to make it live");
        assertThat(service()).as("a restart runs the same release").isEqualTo("onboarding, edited");

        Cli deploy = Cli.run(config, "deploy", "onboarding");
        assertThat(deploy.exit()).as(deploy.out() + deploy.err()).isZero();
        assertThat(deploy.out()).contains("onboarding release 3 is current");
        assertThat(service()).isEqualTo("onboarding, edited again");
        assertThat(Cli.run(config, "restart", "onboarding").out())
            .as("nothing to deploy")
            .endsWith("berth: restarted onboarding (release 3)");

        // Issue 25: after a deploy, an edit is not live through a restart either, and is named.
        edit(onboarding, "onboarding, edited after the deploy");
        Files.writeString(onboarding.resolve("notes.txt"), "to do\n");
        restart = Cli.run(config, "restart", "onboarding");
        assertThat(restart.exit()).as(restart.out() + restart.err()).isZero();
        String undeployed =
            onboarding
                + " has changed since release 3 was copied from it (1 file changed, 1 added:"
                + " api.py, notes.txt)";
        assertThat(restart.out())
            .endsWith(
                "berth: restarted onboarding; "
                    + undeployed
                    + "; run 'berth deploy onboarding' to make it live");
        assertThat(service()).isEqualTo("onboarding, edited again");
        // berth status says it too, below who serves what.
        Cli status = Cli.run(config, "status");
        assertThat(status.out().lines())
            .anySatisfy(
                l -> assertThat(l).matches("\\(any\\)\\s+/\\s+app onboarding \\(release 3\\)"))
            .anySatisfy(
                l -> assertThat(l).matches("\\(any\\)\\s+/tasks\\s+app tasks \\(release 1\\)"))
            .anySatisfy(
                l ->
                    assertThat(l)
                        .matches(
                            "\\(any\\)\\s+/static\\s+files "
                                + java.util.regex.Pattern.quote(
                                    examples.resolve("static").toRealPath().toString())))
            .contains(
                "onboarding: " + undeployed + "; run 'berth deploy onboarding' to make it live");
        stop(berth, config);
      }

      try (BerthProcess berth = up(config)) {
        assertThat(berth.output())
            .as("the next berth up takes the folder as it is now")
            .contains(
                "app onboarding: release 4 copied from "
                    + onboarding
                    + " (its folder changed since release 3 was copied from it)")
            .doesNotContain("app tasks: release 2");
        assertThat(service()).isEqualTo("onboarding, edited after the deploy");
        stop(berth, config);
      }
    } finally {
      deleteTree(state);
    }
  }

  /** SIGTERM: berth exits 0, and every process of its apps ends with it. */
  private static void stop(BerthProcess berth, Path config) throws Exception {
    List<ProcessHandle> apps = new ArrayList<>();
    for (JsonNode instance : Cli.status(config).path("instances")) {
      ProcessHandle.of(instance.path("pid").asLong()).ifPresent(apps::add);
    }
    assertThat(apps).as("the apps' processes").isNotEmpty();
    assertThat(berth.terminate(WAIT)).isZero();
    for (ProcessHandle app : apps) {
      Await.until("app process " + app.pid() + " to end with berth", () -> !app.isAlive());
    }
  }

  private BerthProcess up(Path config) throws Exception {
    return BerthProcess.upOnFreePort(
        freePort -> {
          port = freePort;
          return listenOn(config, freePort);
        });
  }

  /**
   * berth up as nobody with HOME set, as a user starts it from a login shell: {@code java -cp
   * CLASSPATH dev.berth.Main up}, on a free port (another one if that was taken meanwhile).
   */
  private BerthProcess upAsNobody(UserAccount nobody, Path home, String classpath, Path config)
      throws Exception {
    for (int attempt = 1; ; attempt++) {
      port = BerthProcess.freePort();
      listenOn(config, port);
      Exec.ok(home, "chown", nobody.uid() + ":" + nobody.gid(), config.toString());
      ProcessBuilder builder =
          new ProcessBuilder(
                  "setpriv",
                  "--reuid=" + nobody.uid(),
                  "--regid=" + nobody.gid(),
                  "--clear-groups",
                  "--",
                  ProcessHandle.current().info().command().orElse("java"),
                  "-XX:+UseSerialGC",
                  "-Xmx256m",
                  "--enable-native-access=ALL-UNNAMED",
                  "-cp",
                  classpath,
                  "dev.berth.Main",
                  "up",
                  "--config",
                  config.toString())
              .directory(home.toFile());
      builder.environment().put("HOME", home.toString());
      builder.environment().put("USER", "nobody");
      builder.environment().put("PATH", NOBODY_PATH);
      BerthProcess berth = BerthProcess.launch(builder);
      try {
        berth.awaitLine("berth: serving on", Duration.ofSeconds(60));
        return berth;
      } catch (AssertionError e) {
        berth.close();
        if (attempt == 3 || !berth.output().contains("is already in use")) {
          throw e;
        }
      }
    }
  }

  /** {@code /}, {@code /tasks/} and {@code /static/...} answer 200. */
  private void servesTheExamples() throws Exception {
    for (String path : List.of("/", "/tasks/", "/static/index.html", "/static/style.css")) {
      Curl.Response response = Curl.get(url(path));
      assertThat(response.status()).as(path + ": " + response.body()).isEqualTo(200);
    }
  }

  /** What {@code /} says the service is. */
  private String service() throws Exception {
    Curl.Response response = Curl.get(url("/"));
    assertThat(response.status()).as(response.body()).isEqualTo(200);
    return new ObjectMapper().readTree(response.body()).path("service").asText();
  }

  /** The response of {@code /} changed in the app's folder, as someone editing it would. */
  private static void edit(Path onboarding, String service) throws IOException {
    Path api = onboarding.resolve("api.py");
    String before = Files.readString(api);
    int at = before.indexOf("service=\"");
    int end = before.indexOf('"', at + "service=\"".length());
    assertThat(at).as("api.py names its service").isPositive();
    Files.writeString(
        api, before.substring(0, at) + "service=\"" + service + before.substring(end));
  }

  private String url(String path) {
    return "http://127.0.0.1:" + port + path;
  }

  /**
   * The repository's examples (berth.toml, onboarding/, tasks/, static/) copied to {@code to}: what
   * a clone holds, without anything a run of berth beside them left.
   */
  private static Path copyExamples(Path to) throws IOException {
    Path from = BerthProcess.repo().resolve("examples");
    Files.createDirectories(to);
    Files.copy(from.resolve("berth.toml"), to.resolve("berth.toml"));
    for (String dir : List.of("onboarding", "tasks", "static")) {
      try (Stream<Path> tree = Files.walk(from.resolve(dir))) {
        for (Path path : tree.toList()) {
          if (path.toString().contains("__pycache__")) {
            continue;
          }
          Path target = to.resolve(from.relativize(path).toString());
          if (Files.isDirectory(path)) {
            Files.createDirectories(target);
          } else {
            Files.copy(path, target, StandardCopyOption.COPY_ATTRIBUTES);
          }
        }
      }
    }
    return to;
  }

  /** The config with only its listener changed to {@code port}. */
  private static Path listenOn(Path config, int port) throws IOException {
    String text = Files.readString(config);
    String changed =
        text.replaceFirst(
            "address = \"127\\.0\\.0\\.1:\\d+\"", "address = \"127.0.0.1:" + port + "\"");
    assertThat(changed).as("the examples' config has a listener to move").isNotEqualTo(text);
    return Files.writeString(config, changed);
  }

  /**
   * Where a root berth keeps the state of this config: {@code $STATE_DIRECTORY/NAME-HASH} (the
   * build sets STATE_DIRECTORY for the tests), NAME the config's directory, HASH 8 hex of the
   * config's real path.
   */
  private static Path rootStateDir(Path config) throws Exception {
    String base = System.getenv("STATE_DIRECTORY");
    Assumptions.assumeTrue(
        base != null && base.startsWith("/"),
        "the build sets STATE_DIRECTORY, so that the test's root berth stays out of /var/lib");
    byte[] digest =
        MessageDigest.getInstance("SHA-256")
            .digest(config.toRealPath().toString().getBytes(StandardCharsets.UTF_8));
    return Path.of(base)
        .resolve(config.getParent().getFileName() + "-" + HexFormat.of().formatHex(digest, 0, 4));
  }

  /** The real, effective, saved and file system uids of a process (/proc/PID/status). */
  private static Set<Long> uids(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("Uid:")) {
        return Stream.of(line.substring(4).trim().split("\\s+"))
            .map(Long::parseLong)
            .collect(java.util.stream.Collectors.toSet());
      }
    }
    throw new AssertionError("no Uid line for pid " + pid);
  }

  private static void assumeRoot() {
    Assumptions.assumeTrue(UserAccount.currentUid() == 0, "berth must run as root for this test");
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> tree = Files.walk(dir)) {
      for (Path path : tree.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }
}
