package dev.berth.git;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.testing.BerthProcess;
import dev.berth.testing.Cli;
import dev.berth.testing.Curl;
import dev.berth.testing.Exec;
import dev.berth.testing.HttpLoad;
import dev.berth.testing.Sshd;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * git push deploys end to end: a real `berth up` serving the test app under gunicorn, the bare
 * repository `berth git init` made, and real `git push`es to it, by its path and over SSH to a real
 * sshd. Each push runs under load, and no request may fail.
 */
class GitPushEndToEndTest {

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final Duration PUSH_TIMEOUT = Duration.ofMinutes(3);

  @TempDir Path tmp;
  private int port;
  private Path config;
  private Path repo;
  private Path work;
  private Path hookTmp;

  @BeforeEach
  void sources() throws Exception {
    // What berth runs before any push: the test app as the config's dir, version 1.
    Path running = copyTestApp(tmp.resolve("running"));
    Files.writeString(running.resolve("version.py"), version("1"));
    // What gets pushed: a clone's working tree, version 2.
    work = copyTestApp(tmp.resolve("work"));
    Files.writeString(work.resolve("version.py"), version("2"));
    git(work, "init", "--quiet", "--initial-branch=main");
    git(work, "add", ".");
    git(work, "commit", "--quiet", "-m", "version 2");
    repo = tmp.resolve("site/.berth/git/web.git");
    hookTmp = Files.createDirectory(tmp.resolve("hook-tmp"));
  }

  @Test
  void aPushToALocalPathRemoteDeploysAndShowsTheProgress() throws Exception {
    try (BerthProcess berth = up()) {
      assertThat(version()).isEqualTo("version 1");

      Exec push;
      try (HttpLoad load = HttpLoad.start(port, "/", 4)) {
        load.awaitMore(50, WAIT);
        push = push(Map.of(), repo.toString(), "main");
        load.awaitMore(50, WAIT);
        load.close();
        assertThat(load.failed()).as("failed requests: %s", load.failures()).isZero();
      }

      assertThat(push.exit()).as(push.output()).isZero();
      String sha = head();
      assertThat(
              push.output()
                  .lines()
                  .filter(l -> l.startsWith("remote: "))
                  .map(l -> l.substring(8).strip())
                  .toList())
          .as(push.output())
          .startsWith("berth: deploying main (" + sha.substring(0, 7) + ") to app web")
          .contains(
              "berth: deployed " + sha.substring(0, 7) + " to app web",
              "berth: main is now the deploy branch of app web")
          .hasSizeGreaterThan(4);
      assertThat(push.output()).contains("* [new branch]      main -> main");
      assertThat(version()).isEqualTo("version 2");
      assertThat(bareRef("main")).isEqualTo(sha);
      assertThat(git(repo, "config", "berth.deployBranch").strip()).isEqualTo("main");
      // The release records the commit and where it came from.
      Cli releases = Cli.run(config, "releases", "web");
      assertThat(releases.out())
          .as(releases.err())
          .contains("git push main")
          .contains(sha.substring(0, 7));
      try (Stream<Path> left = Files.list(hookTmp)) {
        assertThat(left).as("the hook's temporary tarball is gone").isEmpty();
      }

      // Another branch is accepted and deploys nothing.
      Exec feature = push(Map.of(), repo.toString(), "main:feature");
      assertThat(feature.exit()).as(feature.output()).isZero();
      assertThat(feature.output())
          .contains(
              "remote: berth: refs/heads/feature: accepted, not deployed (app web deploys branch main)");
      assertThat(
              Cli.run(config, "releases", "web").out().lines().filter(l -> l.contains("git push")))
          .hasSize(1);
    }
  }

  @Test
  void aReleaseThatFailsAtImportFailsThePushAndTheOldCodeKeepsServing() throws Exception {
    try (BerthProcess berth = up()) {
      Exec good = push(Map.of(), repo.toString(), "main");
      assertThat(good.exit()).as(good.output()).isZero();
      String goodSha = head();
      assertThat(version()).isEqualTo("version 2");

      Files.writeString(
          work.resolve("version.py"), "import no_such_module_for_berth\n" + version("3"));
      git(work, "commit", "--quiet", "-am", "version 3, broken");
      Exec bad;
      try (HttpLoad load = HttpLoad.start(port, "/", 4)) {
        load.awaitMore(50, WAIT);
        bad = push(Map.of(), repo.toString(), "main");
        load.awaitMore(50, WAIT);
        load.close();
        assertThat(load.failed()).as("failed requests: %s", load.failures()).isZero();
      }

      assertThat(bad.exit()).as(bad.output()).isNotZero();
      assertThat(bad.output())
          .contains("remote: berth: deploying main (" + head().substring(0, 7) + ") to app web")
          .contains("No module named 'no_such_module_for_berth'")
          .contains("push rejected, main not updated")
          .contains("! [remote rejected] main -> main (pre-receive hook declined)");
      assertThat(version()).isEqualTo("version 2");
      assertThat(bareRef("main")).as("the branch stays where it was").isEqualTo(goodSha);
      try (Stream<Path> left = Files.list(hookTmp)) {
        assertThat(left).as("the hook's temporary tarball is gone").isEmpty();
      }
    }
  }

  @Test
  void aPushOverSshDeploysWithTheMinimalEnvironmentOfAHook() throws Exception {
    try (BerthProcess berth = up();
        Sshd sshd = Sshd.start(tmp.resolve("ssh"))) {
      Exec push;
      try (HttpLoad load = HttpLoad.start(port, "/", 4)) {
        load.awaitMore(50, WAIT);
        // The server runs git-receive-pack, and so the hook and berth, with nothing but a
        // minimal PATH: no HOME, no JAVA_HOME, no variable of this test's.
        push =
            push(
                Map.of("GIT_SSH_COMMAND", sshd.sshCommand()),
                sshd.url(repo),
                "--receive-pack=env -i PATH=/usr/bin:/bin git-receive-pack",
                "main");
        load.awaitMore(50, WAIT);
        load.close();
        assertThat(load.failed()).as("failed requests: %s", load.failures()).isZero();
      }

      assertThat(push.exit()).as(push.output() + "\nsshd:\n" + sshd.output()).isZero();
      String sha = head();
      assertThat(push.output())
          .contains("remote: berth: deploying main (" + sha.substring(0, 7) + ") to app web")
          .contains("remote: berth: deployed " + sha.substring(0, 7) + " to app web");
      assertThat(version()).isEqualTo("version 2");
      assertThat(bareRef("main")).isEqualTo(sha);
      assertThat(sshd.output())
          .contains("Accepted publickey for " + System.getProperty("user.name"));
    }
  }

  private BerthProcess up() throws Exception {
    BerthProcess berth =
        BerthProcess.upOnFreePort(
            p -> {
              port = p;
              config =
                  BerthProcess.write(
                      tmp.resolve("site/berth.toml"),
                      """
                      # Where this test looks for the repositories, as run by root too.
                      state_dir = ".berth"

                      [[listeners]]
                      address = "127.0.0.1:%d"

                      [apps.web]
                      user = "root"
                      dir = "%s"
                      command = "/usr/bin/gunicorn --workers 1 version:app"
                      stop_timeout = "5s"
                      drain_timeout = "5s"

                      [[routes]]
                      path = "/"
                      app = "web"
                      """
                          .formatted(p, tmp.resolve("running")));
              return config;
            });
    Cli init = Cli.run(config, "git", "init", "web");
    assertThat(init.exit()).as(init.err()).isZero();
    return berth;
  }

  /** The test app with a /deployed-version page; its module fails at import when it is broken. */
  private static String version(String number) {
    return """
        from testapp import app


        @app.route("/deployed-version")
        def deployed_version():
            return "version %s"
        """
        .formatted(number);
  }

  private String version() throws Exception {
    Curl.Response response = Curl.get("http://127.0.0.1:" + port + "/deployed-version");
    assertThat(response.status()).as(response.body()).isEqualTo(200);
    return response.body();
  }

  private Exec push(Map<String, String> env, String remote, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("git", "push"));
    List<String> rest = new ArrayList<>(List.of(args));
    // Options before the remote, refspecs after it.
    rest.stream().filter(a -> a.startsWith("--")).forEach(command::add);
    command.add(remote);
    rest.stream().filter(a -> !a.startsWith("--")).forEach(command::add);
    Map<String, String> all = new java.util.HashMap<>(env);
    all.put("TMPDIR", hookTmp.toString());
    return Exec.run(work, all, PUSH_TIMEOUT, command);
  }

  private String head() throws Exception {
    return git(work, "rev-parse", "HEAD").strip();
  }

  private String bareRef(String branch) throws Exception {
    return git(repo, "rev-parse", "--verify", "refs/heads/" + branch).strip();
  }

  private static Path copyTestApp(Path to) throws Exception {
    Files.createDirectories(to);
    try (Stream<Path> files = Files.list(BerthProcess.testApp())) {
      for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".py")).toList()) {
        Files.copy(file, to.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    return to;
  }

  private static String git(Path dir, String... args) throws Exception {
    List<String> command =
        new ArrayList<>(
            List.of("git", "-c", "user.name=berth test", "-c", "user.email=test@berth.invalid"));
    if (dir.toString().endsWith(".git")) {
      command.add("--git-dir=" + dir);
    }
    command.addAll(List.of(args));
    return Exec.ok(dir, command.toArray(String[]::new));
  }
}
