package dev.berth.service;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;

/**
 * What {@code berth service install} (or {@code uninstall}) does, decided before anything is done:
 * {@code --dry-run} prints it, and a real run carries out the same steps, printing each one as it
 * is done.
 *
 * @param who who a real run acts as, for the dry run's first line ("root", "alice (uid 1000)")
 * @param steps what a real run does, in order
 * @param notes what the user should know either way (where the user came from, linger, ports)
 * @param blocker why a real run cannot work on this host, or null
 * @param done the last line of a real run that succeeded
 */
public record ServicePlan(
    String who, List<Step> steps, List<String> notes, Blocker blocker, String done) {

  private static final String INDENT = "    ";

  public ServicePlan {
    steps = List.copyOf(steps);
    notes = List.copyOf(notes);
  }

  /**
   * Why a real run would fail here, checked before anything is done.
   *
   * @param error the real run's one-line error (after "berth: ")
   * @param note the dry run's note, after the plan (after "note: a real run would fail here: ")
   */
  public record Blocker(String error, String note) {
    public Blocker(String reason) {
      this(reason, reason);
    }
  }

  /** One thing a real run does. */
  public sealed interface Step {
    /** The step's line before it is done ("write X:"), then the lines shown under it. */
    String planned();

    /** The step's line once it is done ("wrote X:"). */
    String done();

    /** Lines shown indented under the step: a file's content, a crontab's added lines. */
    List<String> body();
  }

  /** Writes a whole file. */
  public record WriteFile(Path file, String content, String mode, boolean replaces)
      implements Step {
    @Override
    public String planned() {
      return (replaces ? "replace " : "write ") + file + ":";
    }

    @Override
    public String done() {
      return (replaces ? "replaced " : "wrote ") + file + ":";
    }

    @Override
    public List<String> body() {
      return content.lines().toList();
    }
  }

  /** Removes a file. */
  public record RemoveFile(Path file) implements Step {
    @Override
    public String planned() {
      return "remove " + file;
    }

    @Override
    public String done() {
      return "removed " + file;
    }

    @Override
    public List<String> body() {
      return List.of();
    }
  }

  /** Runs a command; a non-zero exit fails the run. */
  public record Command(List<String> argv) implements Step {
    public Command {
      argv = List.copyOf(argv);
    }

    @Override
    public String planned() {
      return "run: " + String.join(" ", argv);
    }

    @Override
    public String done() {
      return "ran: " + String.join(" ", argv);
    }

    @Override
    public List<String> body() {
      return List.of();
    }
  }

  /**
   * Replaces the user's crontab with {@code table} through {@code crontab -}; {@code changed} are
   * the lines it adds, replaces or removes, shown to the user.
   */
  public record Crontab(
      Path crontab, String user, String table, List<String> changed, Change change)
      implements Step {
    public Crontab {
      changed = List.copyOf(changed);
    }

    @Override
    public String planned() {
      return change.planned
          + " the crontab of "
          + user
          + " (crontab -l, then crontab - with the result):";
    }

    @Override
    public String done() {
      return change.done + " the crontab of " + user + ":";
    }

    @Override
    public List<String> body() {
      return changed;
    }
  }

  /** What a {@link Crontab} step does to berth's lines. */
  public enum Change {
    ADD("add to", "added to"),
    REPLACE("replace in", "replaced in"),
    REMOVE("remove from", "removed from");

    private final String planned;
    private final String done;

    Change(String planned, String done) {
      this.planned = planned;
      this.done = done;
    }
  }

  /** Prints the plan without doing anything. */
  public void printDryRun(String command, PrintWriter out) {
    out.println(command + " --dry-run: nothing was changed. A real run as " + who + " would:");
    if (steps.isEmpty()) {
      out.println("(nothing to do)");
    }
    for (Step step : steps) {
      print(out, step.planned(), step.body());
    }
    notes.forEach(note -> out.println("note: " + note));
    if (blocker != null) {
      out.println("note: a real run would fail here: " + blocker.note());
    }
    out.flush();
  }

  /** Carries out the plan, printing each step once it is done. Returns the exit code. */
  public int execute(Host host, PrintWriter out, PrintWriter err) {
    if (blocker != null) {
      err.println("berth: " + blocker.error());
      err.flush();
      return ServiceInstaller.EXIT_FAILED;
    }
    for (Step step : steps) {
      String output = "";
      try {
        switch (step) {
          case WriteFile write -> host.write(write.file(), write.content(), write.mode());
          case RemoveFile remove -> host.delete(remove.file());
          case Command command -> {
            Host.Result result = host.run(command.argv(), null);
            output = result.output();
            if (result.exit() != 0) {
              return failed(
                  out,
                  err,
                  String.join(" ", command.argv()) + " exited with " + result.exit(),
                  output);
            }
          }
          case Crontab crontab -> {
            Host.Result result =
                host.run(List.of(crontab.crontab().toString(), "-"), crontab.table());
            output = result.output();
            if (result.exit() != 0) {
              return failed(out, err, "crontab - exited with " + result.exit(), output);
            }
          }
        }
      } catch (IOException | RuntimeException e) {
        return failed(out, err, step.planned().replaceAll(":$", "") + ": " + describe(e), "");
      }
      print(out, step.done(), step.body());
      output.lines().forEach(line -> out.println(INDENT + line));
      out.flush();
    }
    notes.forEach(note -> out.println("note: " + note));
    out.println(done);
    out.flush();
    return 0;
  }

  private static int failed(PrintWriter out, PrintWriter err, String what, String output) {
    output.lines().forEach(line -> out.println(INDENT + line));
    out.flush();
    err.println("berth: " + what);
    err.flush();
    return ServiceInstaller.EXIT_FAILED;
  }

  private static String describe(Exception e) {
    if (e instanceof java.nio.file.AccessDeniedException denied) {
      return "permission denied (" + denied.getFile() + ")";
    }
    if (e instanceof java.nio.file.NoSuchFileException missing) {
      return "no such file or directory (" + missing.getFile() + ")";
    }
    if (e instanceof java.nio.file.FileSystemException fs && fs.getReason() != null) {
      return fs.getReason() + " (" + fs.getFile() + ")";
    }
    return e.getMessage() == null ? e.toString() : e.getMessage();
  }

  private static void print(PrintWriter out, String line, List<String> body) {
    out.println(line);
    body.forEach(b -> out.println(b.isEmpty() ? "" : INDENT + b));
  }
}
