package dev.berth.git;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.testing.BerthProcess;
import dev.berth.testing.Cli;
import dev.berth.testing.Exec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code berth git init} with the system's git, and real pushes to the repository it makes for
 * everything that needs no running berth: pushes that do not deploy, and the refusal of a push
 * whose deploy cannot happen (GitPushEndToEndTest has the deploys).
 */
class GitInitTest {

  @TempDir Path tmp;
  private Path config;
  private Path hookTmp;

  @BeforeEach
  void config() throws Exception {
    config =
        BerthProcess.write(
            tmp.resolve("site/berth.toml"),
            """
            # Where this test looks for the repositories, as run by root too.
            state_dir = ".berth"

            [[listeners]]
            address = "127.0.0.1:1"

            [apps.blog]
            user = "root"
            dir = "%s"
            command = "/usr/bin/gunicorn wsgi:app"

            [apps.legacy]
            upstreams = ["127.0.0.1:9"]
            """
                .formatted(BerthProcess.testApp()));
    hookTmp = Files.createDirectory(tmp.resolve("hook-tmp"));
  }

  @Test
  void makesABareRepositoryWithItsHookAndSaysHowToPushToIt() throws Exception {
    Cli init = Cli.run(config, "git", "init", "blog");

    assertThat(init.exit()).as(init.err()).isZero();
    Path repo = tmp.resolve("site/.berth/git/blog.git");
    String user = System.getProperty("user.name");
    assertThat(init.out())
        .startsWith("berth: created bare repository " + repo + " for app blog")
        .contains("git remote add berth " + repo + "\n")
        .containsPattern("git remote add berth ssh://" + user + "@[^/\\s]+" + repo + "\n")
        .contains("git push berth main");
    assertThat(git(repo, "rev-parse", "--is-bare-repository").strip()).isEqualTo("true");
    assertThat(git(repo, "config", "berth.app").strip()).isEqualTo("blog");
    // The state dir's directories berth made are private, as state_dir is.
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(repo.getParent())))
        .isEqualTo("rwx------");

    Path hook = repo.resolve("hooks/pre-receive");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(hook)))
        .isEqualTo("rwxr-xr-x");
    String text = Files.readString(hook);
    assertThat(text)
        .startsWith("#!/bin/sh\n")
        .contains(PreReceiveHook.MARKER)
        .contains("config='" + config + "'");
    // berth by absolute paths (the in-process CLI has no launcher: the JVM and classpath).
    assertThat(text).contains("'" + ProcessHandle.current().info().command().orElseThrow() + "'");
    assertThat(Exec.run(tmp, "sh", "-n", hook.toString()).exit()).as("sh -n").isZero();
  }

  @Test
  void runningItAgainRewritesTheHookAndSaysSo() throws Exception {
    assertThat(Cli.run(config, "git", "init", "blog").exit()).isZero();
    Path repo = tmp.resolve("site/.berth/git/blog.git");
    Path hook = repo.resolve("hooks/pre-receive");
    String written = Files.readString(hook);

    Cli same = Cli.run(config, "git", "init", "blog");
    assertThat(same.exit()).as(same.err()).isZero();
    assertThat(same.out())
        .startsWith("berth: " + repo + " exists; its pre-receive hook was already up to date");

    Files.writeString(hook, written.replace("config=", "config_was_edited=1\nconfig="));
    Cli again = Cli.run(config, "git", "init", "blog", "--branch", "production");
    assertThat(again.exit()).as(again.err()).isZero();
    assertThat(again.out())
        .startsWith("berth: " + repo + " exists; updated its pre-receive hook")
        .contains("a push to production deploys blog")
        .contains("git push berth production");
    assertThat(Files.readString(hook)).isEqualTo(written);
    assertThat(git(repo, "config", "berth.deployBranch").strip()).isEqualTo("production");
    assertThat(git(repo, "symbolic-ref", "HEAD").strip()).isEqualTo("refs/heads/production");

    // Without --branch, the branch chosen before stays.
    Cli keep = Cli.run(config, "git", "init", "blog");
    assertThat(keep.out()).contains("a push to production deploys blog");
  }

  @Test
  void aRepositoryOfItsOwnChoosingWithPath() throws Exception {
    Path repo = tmp.resolve("elsewhere/blog.git");

    Cli init = Cli.run(config, "git", "init", "blog", "--path", repo.toString());

    assertThat(init.exit()).as(init.err()).isZero();
    assertThat(init.out()).startsWith("berth: created bare repository " + repo + " for app blog");
    assertThat(repo.resolve("hooks/pre-receive")).isExecutable();
  }

  @Test
  void badRequestsAreOneLineAndExitCode2() throws Exception {
    Path notRepo = Files.createDirectories(tmp.resolve("notrepo"));
    Files.writeString(notRepo.resolve("file"), "x");
    Path otherApps = tmp.resolve("other.git");
    assertThat(Cli.run(config, "git", "init", "blog", "--path", otherApps.toString()).exit())
        .isZero();
    Path foreignHook = tmp.resolve("foreign.git");
    git(tmp, "init", "--bare", "--quiet", foreignHook.toString());
    Files.writeString(foreignHook.resolve("hooks/pre-receive"), "#!/bin/sh\nexit 0\n");

    Map<List<String>, String> cases =
        Map.of(
            List.of("nope"),
                "berth: git init: no app named nope in " + config + " (apps: blog, legacy)",
            List.of("legacy"),
                "berth: git init: app legacy is not run by berth (it has upstreams): there is nothing to deploy",
            List.of("blog", "--branch", "a b"),
                "berth: git init: --branch a b: not a valid branch name",
            List.of("blog", "--path", notRepo.toString()),
                "berth: git init: " + notRepo + " exists and is not a bare git repository",
            List.of("blog", "--path", notRepo.resolve("file").toString()),
                "berth: git init: " + notRepo.resolve("file") + " exists and is not a directory",
            List.of("blog", "--path", foreignHook.toString()),
                "berth: git init: "
                    + foreignHook.resolve("hooks/pre-receive")
                    + " exists and was not written by berth; move it away, then run this again");
    for (var c : cases.entrySet()) {
      List<String> args = new java.util.ArrayList<>(List.of("git", "init"));
      args.addAll(c.getKey());
      Cli cli = Cli.run(config, args.toArray(String[]::new));
      assertThat(cli.exit()).as(c.getKey().toString()).isEqualTo(2);
      assertThat(cli.err()).as(c.getKey().toString()).isEqualTo(c.getValue());
      assertThat(cli.out()).isEmpty();
    }
    // A repository made for another app is not turned to this one.
    Path blogs = tmp.resolve("blogs.git");
    assertThat(Cli.run(config, "git", "init", "blog", "--path", blogs.toString()).exit()).isZero();
    git(blogs, "config", "berth.app", "shop");
    Cli other = Cli.run(config, "git", "init", "blog", "--path", blogs.toString());
    assertThat(other.exit()).isEqualTo(2);
    assertThat(other.err()).isEqualTo("berth: git init: " + blogs + " deploys app shop, not blog");
    assertThat(Files.readString(foreignHook.resolve("hooks/pre-receive")))
        .isEqualTo("#!/bin/sh\nexit 0\n");
  }

  @Test
  void otherBranchesTagsAndDeletionsAreAcceptedWithoutADeploy() throws Exception {
    Path repo = init("blog");
    Path work = source();

    Exec feature = push(work, repo, "main:feature");
    assertThat(feature.exit()).as(feature.output()).isZero();
    assertThat(feature.output())
        .contains(
            "remote: berth: refs/heads/feature: accepted, not deployed (app blog deploys branch main or master)");

    git(work, "tag", "v1");
    Exec tag = push(work, repo, "v1");
    assertThat(tag.exit()).as(tag.output()).isZero();
    assertThat(tag.output()).contains("remote: berth: refs/tags/v1: accepted, not deployed");

    Exec delete = push(work, repo, ":feature");
    assertThat(delete.exit()).as(delete.output()).isZero();
    assertThat(git(repo, "show-ref")).doesNotContain("refs/heads/feature").contains("refs/tags/v1");
    assertThat(feature.output() + tag.output() + delete.output()).doesNotContain("deploying");
  }

  @Test
  void aDeployThatCannotHappenRejectsThePushAndLeavesTheBranch() throws Exception {
    Path repo = init("blog");
    Path work = source();

    // No berth runs for this config: the deploy fails, and so does the push.
    Exec push = push(work, repo, "main");

    assertThat(push.exit()).as(push.output()).isNotZero();
    String sha = git(work, "rev-parse", "--short", "HEAD").strip();
    assertThat(push.output())
        .contains("remote: berth: deploying main (" + sha + ") to app blog")
        .contains("remote: berth: no daemon running")
        .contains("remote: berth: deploy of " + sha + " failed (berth exited with code 3)")
        .contains("push rejected, main not updated")
        .contains("[remote rejected] main -> main (pre-receive hook declined)");
    assertThat(
            Exec.run(
                    repo,
                    "git",
                    "--git-dir=.",
                    "show-ref",
                    "--verify",
                    "--quiet",
                    "refs/heads/main")
                .exit())
        .isNotZero();
    // The tarball's private directory is gone.
    try (var left = Files.list(hookTmp)) {
      assertThat(left).isEmpty();
    }
  }

  @Test
  void untilABranchIsChosenAPushOfMasterDeploysToo() throws Exception {
    Path repo = init("blog");
    Path work = source();

    Exec push = push(work, repo, "main:master");

    assertThat(push.exit()).isNotZero();
    assertThat(push.output()).contains("remote: berth: deploying master (");
  }

  @Test
  void withABranchChosenMainIsJustAnotherBranch() throws Exception {
    Cli init = Cli.run(config, "git", "init", "blog", "--branch", "production");
    assertThat(init.exit()).as(init.err()).isZero();
    Path repo = tmp.resolve("site/.berth/git/blog.git");
    Path work = source();

    Exec main = push(work, repo, "main");
    assertThat(main.exit()).as(main.output()).isZero();
    assertThat(main.output())
        .contains(
            "remote: berth: refs/heads/main: accepted, not deployed (app blog deploys branch production)");

    Exec production = push(work, repo, "main:production");
    assertThat(production.exit()).isNotZero();
    assertThat(production.output()).contains("remote: berth: deploying production (");
  }

  @Test
  void aPushOfBothMainAndMasterToANewRepositoryDeploysMain() throws Exception {
    Path repo = init("blog");
    Path work = source();

    Exec push = push(work, repo, "main", "main:master");

    assertThat(push.output())
        .contains(
            "remote: berth: refs/heads/master: accepted, not deployed (app blog deploys branch main)")
        .contains("remote: berth: deploying main (");
  }

  private Path init(String app) {
    Cli init = Cli.run(config, "git", "init", app);
    assertThat(init.exit()).as(init.err()).isZero();
    return tmp.resolve("site/.berth/git/" + app + ".git");
  }

  /** A working repository with one commit on main. */
  private Path source() throws Exception {
    Path work = Files.createDirectories(tmp.resolve("work"));
    git(work, "init", "--quiet", "--initial-branch=main");
    Files.writeString(work.resolve("app.py"), "print('hello')\n");
    git(work, "add", ".");
    git(work, "commit", "--quiet", "-m", "one");
    return work;
  }

  private Exec push(Path work, Path repo, String... refspecs) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of("git", "push", repo.toString()));
    command.addAll(List.of(refspecs));
    return Exec.run(work, Map.of("TMPDIR", hookTmp.toString()), Duration.ofMinutes(2), command);
  }

  private static String git(Path dir, String... args) throws Exception {
    List<String> command =
        new java.util.ArrayList<>(
            List.of("git", "-c", "user.name=berth test", "-c", "user.email=test@berth.invalid"));
    if (dir.toString().endsWith(".git")) {
      command.add("--git-dir=" + dir);
    }
    command.addAll(List.of(args));
    return Exec.ok(dir, command.toArray(String[]::new));
  }
}
