package dev.berth.cli;

import dev.berth.config.App;
import dev.berth.config.Config;
import dev.berth.git.BerthInvocation;
import dev.berth.git.GitException;
import dev.berth.git.PushRepository;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code berth git init APP}: a bare repository whose pushes deploy the app. */
@Command(
    name = "git",
    description = {
      "Deploy an app by git push to a repository berth makes.",
      "berth git init APP makes a bare repository whose pushes deploy APP."
    },
    subcommands = {GitCommand.Init.class})
final class GitCommand implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "git: say what to do: init");
  }

  @Command(
      name = "init",
      description = {
        "Make a bare repository whose pushes deploy an app.",
        "The repository (default <state_dir>/git/APP.git) deploys APP on each push to the deploy"
            + " branch; a failed deploy fails the push.",
        "Run again to rewrite its hook (after moving berth or the config).",
        "Push to it by its path on this machine, or over SSH as the user that runs berth."
      })
  static final class Init extends BerthCommand.ConfigCommand {
    @Parameters(index = "0", paramLabel = "APP")
    String app;

    @Option(
        names = "--path",
        paramLabel = "DIR",
        description = "Where the bare repository is. Default: <state_dir>/git/APP.git.")
    Path path;

    @Option(
        names = "--branch",
        paramLabel = "NAME",
        description =
            "The branch whose pushes deploy. Default: main or master, the first of them to deploy.")
    String branch;

    @Override
    int run(Config config) {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      App target = config.apps().get(app);
      if (target == null) {
        return usage(
            err,
            "no app named "
                + app
                + " in "
                + config.file()
                + " (apps: "
                + String.join(", ", config.apps().keySet())
                + ")");
      }
      if (target.external()) {
        return usage(
            err,
            "app " + app + " is not run by berth (it has upstreams): there is nothing to deploy");
      }
      Path repository;
      try {
        repository = path != null ? path.toAbsolutePath() : defaultRepository(config);
      } catch (IOException e) {
        err.println("berth: git init: " + e.getMessage());
        err.flush();
        return BerthCommand.EXIT_FAILED;
      }
      PushRepository.Outcome outcome;
      BerthInvocation berth = BerthInvocation.current();
      try {
        outcome = PushRepository.install(app, config.file(), repository, branch, berth);
      } catch (GitException e) {
        err.println("berth: git init: " + e.getMessage());
        err.flush();
        return e.usage() ? BerthCommand.EXIT_USAGE : BerthCommand.EXIT_FAILED;
      }
      Path repo = outcome.repository();
      if (outcome.created()) {
        out.println("berth: created bare repository " + repo + " for app " + app);
      } else {
        out.println(
            "berth: "
                + repo
                + " exists; "
                + (outcome.hookChanged()
                    ? "updated its pre-receive hook"
                    : "its pre-receive hook was already up to date"));
      }
      String deployBranch = outcome.branch() != null ? outcome.branch() : "main";
      out.println(
          "berth: a push to "
              + (outcome.branch() != null ? outcome.branch() : PushRepository.DEFAULT_BRANCH)
              + " deploys "
              + app
              + "; other branches and tags are accepted without a deploy");
      out.println("berth: the hook runs " + berth.how() + ", with -c " + config.file());
      String user = System.getProperty("user.name");
      out.println("Add it as a remote, then push:");
      out.println("  on this machine:  git remote add berth " + repo);
      out.println(
          "  over SSH:         git remote add berth ssh://" + user + "@" + hostName() + repo);
      out.println("  then:             git push berth " + deployBranch);
      out.println(
          "Over SSH, log in as "
              + user
              + " (berth's control socket admits only the user that runs berth, and root);"
              + " give the host as the pusher reaches it, with :PORT after it when sshd is not on 22.");
      out.flush();
      return 0;
    }

    /**
     * {@code <state_dir>/git/APP.git}; the directories berth makes for it are private, as state_dir
     * is.
     */
    private Path defaultRepository(Config config) throws IOException {
      Path git = config.stateDir().resolve("git");
      for (Path dir : new Path[] {config.stateDir(), git}) {
        if (!Files.isDirectory(dir)) {
          Files.createDirectories(dir.getParent());
          Files.createDirectory(
              dir,
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
      }
      return git.resolve(app + ".git");
    }

    private static int usage(PrintWriter err, String message) {
      err.println("berth: git init: " + message);
      err.flush();
      return BerthCommand.EXIT_USAGE;
    }

    private static String hostName() {
      try {
        String name = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
        return name.isEmpty() ? "HOST" : name;
      } catch (IOException e) {
        return "HOST";
      }
    }
  }
}
