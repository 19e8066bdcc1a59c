package dev.berth.git;

import static java.util.Objects.requireNonNull;

import dev.berth.process.CommandException;
import dev.berth.process.ShortCommand;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A bare repository to push an app to (Heroku, Dokku, Piku style): made with the system's git, with
 * berth's pre-receive hook in it. Making it again only rewrites the hook and the settings.
 *
 * <p>What berth keeps in the repository's own config: {@code berth.app}, so that a repository is
 * never turned to another app by mistake, and {@code berth.deployBranch}: the branch chosen with
 * --branch, or else recorded by the hook at the first deploy of main or master.
 */
public final class PushRepository {

  /** The deploy branch's description when none was chosen: what the hook decides at each push. */
  public static final String DEFAULT_BRANCH =
      "main or master (the first of them to deploy stays the deploy branch)";

  /**
   * @param repository the bare repository (absolute)
   * @param created whether it was made now (else it existed)
   * @param hookChanged whether the hook's text changed (always, when created)
   * @param branch the deploy branch set in the repository, or null for {@link #DEFAULT_BRANCH}
   */
  public record Outcome(Path repository, boolean created, boolean hookChanged, String branch) {
    public Outcome {
      requireNonNull(repository, "repository");
    }
  }

  private static final String GIT = "git";
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private PushRepository() {}

  /**
   * Makes or updates the repository at {@code repository} for {@code app}.
   *
   * @param config the config file the hook passes to berth (absolute)
   * @param branch the deploy branch to set, or null to keep the one set (or the default)
   */
  public static Outcome install(
      String app, Path config, Path repository, String branch, BerthInvocation berth)
      throws GitException {
    requireNonNull(app, "app");
    requireNonNull(config, "config");
    requireNonNull(repository, "repository");
    requireNonNull(berth, "berth");
    Path repo = repository.toAbsolutePath().normalize();
    String checkedBranch = branch == null ? null : branchName(branch);
    boolean created = !Files.exists(repo) || emptyDirectory(repo);
    try {
      if (created) {
        Files.createDirectories(repo);
        git(
            "git init",
            "init",
            "--bare",
            "--quiet",
            "--initial-branch=" + (checkedBranch == null ? "main" : checkedBranch),
            repo.toString());
      } else {
        checkOurs(repo, app);
      }
      git("git config", "--git-dir=" + repo, "config", "berth.app", app);
      if (checkedBranch != null) {
        git("git config", "--git-dir=" + repo, "config", "berth.deployBranch", checkedBranch);
        // Clones check out the branch that deploys.
        git(
            "git symbolic-ref",
            "--git-dir=" + repo,
            "symbolic-ref",
            "HEAD",
            "refs/heads/" + checkedBranch);
      }
      boolean hookChanged = writeHook(repo, PreReceiveHook.render(app, config, berth));
      String setBranch = gitOptional("--git-dir=" + repo, "config", "--get", "berth.deployBranch");
      return new Outcome(repo, created, hookChanged, setBranch);
    } catch (IOException e) {
      throw new GitException(repo + ": " + e.getMessage(), false);
    }
  }

  /** The branch name as git accepts it (check-ref-format --branch). */
  static String branchName(String branch) throws GitException {
    try {
      return git("check-ref-format", "check-ref-format", "--branch", branch).strip();
    } catch (GitException e) {
      throw new GitException("--branch " + branch + ": not a valid branch name", true);
    }
  }

  private static boolean emptyDirectory(Path dir) {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.findAny().isEmpty();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** An existing path may be reused only when it is a bare repository of this app, or of none. */
  private static void checkOurs(Path repo, String app) throws GitException {
    if (!Files.isDirectory(repo)) {
      throw new GitException(repo + " exists and is not a directory", true);
    }
    // --git-dir: never a repository around it (-C would find the one it sits in).
    String bare = gitOptional("--git-dir=" + repo, "rev-parse", "--is-bare-repository");
    if (!"true".equals(bare)) {
      throw new GitException(repo + " exists and is not a bare git repository", true);
    }
    String owner = gitOptional("--git-dir=" + repo, "config", "--get", "berth.app");
    if (owner != null && !owner.equals(app)) {
      throw new GitException(repo + " deploys app " + owner + ", not " + app, true);
    }
    Path hook = repo.resolve("hooks/pre-receive");
    if (Files.exists(hook) && !readOrEmpty(hook).contains(PreReceiveHook.MARKER)) {
      throw new GitException(
          hook + " exists and was not written by berth; move it away, then run this again", true);
    }
  }

  /**
   * Writes the hook (0755) in one step, so that a push never runs half a file. @return whether it
   * changed
   */
  private static boolean writeHook(Path repo, String text) throws IOException {
    Path hooks = repo.resolve("hooks");
    Files.createDirectories(hooks);
    Path hook = hooks.resolve("pre-receive");
    boolean changed = !text.equals(readOrEmpty(hook));
    Path tmp = Files.createTempFile(hooks, ".pre-receive", ".tmp");
    try {
      Files.writeString(tmp, text);
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
      Files.move(tmp, hook, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
    return changed;
  }

  private static String readOrEmpty(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      return "";
    }
  }

  /** Runs git; its output when it exits 0, else null (an unset config key, say). */
  private static String gitOptional(String... args) throws GitException {
    try {
      return git("git", args).strip();
    } catch (GitException e) {
      if (e.usage()) {
        throw e;
      }
      return null;
    }
  }

  /**
   * Runs the system's git and returns its standard output; a failure is a GitException with git's
   * last line of standard error (usage() false), and a missing git one that says so.
   */
  private static String git(String what, String... args) throws GitException {
    List<String> command = new ArrayList<>(List.of(GIT));
    command.addAll(List.of(args));
    try {
      return ShortCommand.of(command)
          .named(what)
          // Run from a hook, or from inside a repository's environment: this git works on what it
          // is given only.
          .withoutEnv(name -> name.startsWith("GIT_"))
          .timeout(TIMEOUT)
          .check()
          .stdout();
    } catch (CommandException e) {
      throw switch (e.reason()) {
        case NOT_STARTED ->
            new GitException(e.getMessage() + "; install it, e.g. 'apt-get install git'", true);
        case TIMED_OUT ->
            new GitException(
                what + ": git did not finish within " + TIMEOUT.toSeconds() + " s", false);
        case INTERRUPTED -> new GitException(what + ": interrupted", false);
        case FAILED -> {
          List<String> last = e.lastLines();
          yield new GitException(
              what
                  + ": "
                  + (last.isEmpty()
                      ? "exit code " + e.exitCode().orElseThrow()
                      : last.get(last.size() - 1).strip()),
              false);
        }
      };
    }
  }
}
