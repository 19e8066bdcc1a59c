package dev.berth.supervisor;

import static java.util.Objects.requireNonNull;

import dev.berth.config.App;
import dev.berth.config.UserAccount;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The checks made before an app's processes start, as the user they run as and with the PATH they
 * get: is each command's program there and executable for that user (else the app cannot start, and
 * sh's answer would be a bare "not found", or "Permission denied" when a directory on the way is
 * closed to it). (Whether the user may write where the app runs is no question: the app runs from a
 * release, which is its user's.)
 */
public final class AppChecks {

  /**
   * Words sh runs itself: a command that starts with one of these is not checked (what it runs is
   * up to the shell). {@code exec} and {@code command} are skipped to the program after them.
   */
  private static final Set<String> SHELL_WORDS =
      Set.of(
          ".",
          ":",
          "alias",
          "bg",
          "break",
          "case",
          "cd",
          "continue",
          "eval",
          "exit",
          "export",
          "false",
          "fg",
          "for",
          "getopts",
          "hash",
          "if",
          "jobs",
          "kill",
          "local",
          "printf",
          "pwd",
          "read",
          "readonly",
          "return",
          "set",
          "shift",
          "source",
          "test",
          "times",
          "trap",
          "true",
          "type",
          "ulimit",
          "umask",
          "unalias",
          "unset",
          "until",
          "wait",
          "while",
          "echo",
          "[",
          "!",
          "{",
          "(",
          "time",
          "nohup");

  private static final Pattern ASSIGNMENT = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*=.*");

  /** A word sh would expand or split in ways this check does not follow. */
  private static final Pattern SHELL_SYNTAX = Pattern.compile(".*[$`\\\\\"'(){}<>|;&*?\\[~].*");

  /**
   * One finding about an app: it cannot start.
   *
   * @param key the app's key it is about, below {@code apps.NAME}: {@code command} or {@code
   *     processes.worker.command}
   * @param message what is wrong, without the key
   */
  public record Finding(List<String> key, String message) {
    public Finding {
      key = List.copyOf(key);
      requireNonNull(message, "message");
    }
  }

  private AppChecks() {}

  /**
   * Checks the app as it will run ({@code app.dir()} is where it runs: its configured dir or its
   * current release).
   *
   * @param stored what {@code berth env set} stored for it
   */
  public static List<Finding> of(App app, Map<String, String> stored) throws IOException {
    requireNonNull(app, "app");
    if (app.external()) {
      return List.of();
    }
    return commands(app, stored, AppUser.of(app));
  }

  /**
   * Who the app's processes run as (see {@link AppUser}): empty when they run as berth itself.
   *
   * @throws IOException when the user does not exist, or berth cannot switch to it
   */
  public static Optional<UserAccount> user(App app) throws IOException {
    return AppUser.of(app);
  }

  /**
   * The errors about the app's commands alone (for a deploy's new release, after its build): "web:
   * gunicorn: not found for user nobody (PATH=...)", one line each.
   */
  public static List<String> commandErrors(App app, Map<String, String> stored) throws IOException {
    requireNonNull(app, "app");
    if (app.external()) {
      return List.of();
    }
    List<String> errors = new ArrayList<>();
    for (Finding finding : commands(app, stored, AppUser.of(app))) {
      String type = finding.key().size() == 1 ? Instance.WEB : finding.key().get(1);
      errors.add(type + ": " + finding.message());
    }
    return errors;
  }

  private static List<Finding> commands(
      App app, Map<String, String> stored, Optional<UserAccount> runAs) throws IOException {
    requireNonNull(stored, "stored");
    List<Finding> findings = new ArrayList<>();
    String path = ChildPath.of(app, stored, runAs, System.getenv("PATH"));
    if (app.hasWeb()) {
      missing(app.run().command(), app.run().dir(), path, runAs)
          .ifPresent(m -> findings.add(new Finding(List.of("command"), m)));
    }
    for (App.ProcessType type : app.run().processes()) {
      missing(type.command(), app.run().dir(), path, runAs)
          .ifPresent(
              m -> findings.add(new Finding(List.of("processes", type.name(), "command"), m)));
    }
    return findings;
  }

  /** "gunicorn: not found for user nobody (PATH=...)", or empty when it is there. */
  private static Optional<String> missing(
      String command, Path dir, String path, Optional<UserAccount> runAs) throws IOException {
    Optional<String> program = program(command);
    if (program.isEmpty()) {
      return Optional.empty();
    }
    // A relative program name is looked up from where the app runs; a missing dir is the
    // config's to report, and the check still answers for absolute names and the PATH.
    Path cwd = Files.isDirectory(dir) ? dir : Path.of("/");
    UserAccess.Lookup found = UserAccess.lookup(runAs, cwd, path, program.get());
    if (found.runnable()) {
      return Optional.empty();
    }
    if (found.interpreter().isPresent()) {
      return Optional.of(
          program.get()
              + ": its interpreter "
              + found.interpreter().get()
              + " (its #! line) cannot be run by user "
              + AppUser.name(runAs)
              + "; a virtualenv's scripts name the python of the folder it was made in: start"
              + " the program through a python the user can run (.venv/bin/python -m gunicorn"
              + " ...)");
    }
    String where = program.get().contains("/") ? "" : " (PATH=" + path + ")";
    return Optional.of(program.get() + ": not found for user " + AppUser.name(runAs) + where);
  }

  /**
   * The program a command line runs, as sh finds it: the first word after leading NAME=value
   * assignments and {@code exec}; empty when the line starts with something the shell runs itself
   * or expands (a builtin, a variable, quotes, a subshell), which this check does not follow.
   */
  static Optional<String> program(String command) {
    String[] words = command.strip().split("\\s+");
    int i = 0;
    while (i < words.length && ASSIGNMENT.matcher(words[i]).matches()) {
      i++;
    }
    while (i < words.length && (words[i].equals("exec") || words[i].equals("command"))) {
      i++;
    }
    if (i >= words.length || words[i].isEmpty()) {
      return Optional.empty();
    }
    String word = words[i];
    if (SHELL_WORDS.contains(word)
        || word.startsWith("-")
        || SHELL_SYNTAX.matcher(word).matches()) {
      return Optional.empty();
    }
    return Optional.of(word);
  }
}
