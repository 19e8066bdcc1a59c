package dev.berth.process;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A short command (git, chown, getent, systemctl, crontab...) run to its end, or ended with every
 * process it started at its timeout, whichever comes first.
 *
 * <p>It runs in a session of its own ({@code setsid}: no terminal to prompt on, and one id that
 * names all it starts), as another user if asked ({@code setpriv}). Its stdout and stderr are read
 * while it runs, so neither a full pipe nor a child that keeps the output open past its parent can
 * block the caller beyond the timeout. It is done when it exited and its output closed; then what
 * it left running in its session is ended too, so that no short command outlives its call. (When
 * the first process exits, the JDK drains and closes its pipes unless a read is under way: what a
 * process it left behind writes later may be lost, or hold the call to the timeout.)
 *
 * <pre>{@code
 * String head = ShortCommand.of("git", "rev-parse", "HEAD").named("git rev-parse")
 *     .directory(repo).timeout(Duration.ofSeconds(30)).check().stdout();
 * }</pre>
 *
 * <p>A builder, for one thread; {@link #run()} may be called again.
 */
public final class ShortCommand {

  /** Between SIGTERM and SIGKILL. */
  private static final Duration GRACE = Duration.ofSeconds(2);

  /** What execvp searches when the environment has no PATH. */
  private static final String DEFAULT_PATH = "/bin:/usr/bin";

  private final List<String> argv;
  private String name;
  private final Map<String, String> env = new LinkedHashMap<>();
  private boolean cleanEnv;
  private Predicate<String> dropped = key -> false;
  private Path directory;
  private RunAs user;
  private byte[] stdin;
  private Duration timeout = Duration.ofMinutes(1);
  private boolean mergeStderr;
  private Consumer<String> lines;

  private ShortCommand(List<String> argv) {
    if (argv.isEmpty()) {
      throw new IllegalArgumentException("empty command");
    }
    argv.forEach(arg -> requireNonNull(arg, "argument"));
    this.argv = List.copyOf(argv);
    this.name = Path.of(argv.get(0)).getFileName().toString();
  }

  /** The command {@code argv}: a program (looked up on the PATH) and its arguments. */
  public static ShortCommand of(List<String> argv) {
    return new ShortCommand(requireNonNull(argv, "argv"));
  }

  /** The command {@code argv}: a program (looked up on the PATH) and its arguments. */
  public static ShortCommand of(String... argv) {
    return of(List.of(argv));
  }

  /**
   * The argv prefix that starts a command in a session and process group of its own ({@code
   * setsid}: no terminal, and one id that finds its whole tree later), as {@code user} when given
   * ({@code setpriv}, with the user's supplementary groups). Berth's instances and deploy phases
   * start this way too.
   */
  public static List<String> sessionPrefix(Optional<RunAs> user) {
    List<String> prefix = new ArrayList<>(List.of("setsid"));
    prefix.addAll(userPrefix(user));
    return List.copyOf(prefix);
  }

  /**
   * The argv prefix that runs a command as {@code user} ({@code setpriv}, with the user's
   * supplementary groups) and nothing else: no session of its own, so a command that must keep its
   * terminal ({@code berth run}) keeps it. Empty when no user is given.
   */
  public static List<String> userPrefix(Optional<RunAs> user) {
    return user.map(
            u -> List.of("setpriv", "--reuid=" + u.uid(), "--regid=" + u.gid(), "--init-groups"))
        .orElse(List.of());
  }

  /** How messages name it ({@code "git fetch"}); the program's file name unless set. */
  public ShortCommand named(String name) {
    this.name = requireNonNull(name, "name");
    return this;
  }

  /** Adds or replaces a variable of its environment. */
  public ShortCommand env(String key, String value) {
    env.put(requireNonNull(key, "key"), requireNonNull(value, "value"));
    return this;
  }

  /** Adds or replaces variables of its environment. */
  public ShortCommand env(Map<String, String> variables) {
    variables.forEach(this::env);
    return this;
  }

  /** Starts from an empty environment instead of berth's: only what {@link #env} sets. */
  public ShortCommand cleanEnv() {
    this.cleanEnv = true;
    return this;
  }

  /** Leaves out the inherited variables whose names match (those set with {@link #env} stay). */
  public ShortCommand withoutEnv(Predicate<String> names) {
    this.dropped = this.dropped.or(requireNonNull(names, "names"));
    return this;
  }

  /** Its working directory; berth's own unless set. */
  public ShortCommand directory(Path directory) {
    this.directory = requireNonNull(directory, "directory");
    return this;
  }

  /** Runs it as this user and group (berth must be root). */
  public ShortCommand runAs(RunAs user) {
    this.user = requireNonNull(user, "user");
    return this;
  }

  /** What it reads on stdin; without it, stdin is at its end at once. */
  public ShortCommand stdin(byte[] input) {
    this.stdin = requireNonNull(input, "input").clone();
    return this;
  }

  /** What it reads on stdin, UTF-8; null for nothing. */
  public ShortCommand stdin(String input) {
    this.stdin = input == null ? null : input.getBytes(StandardCharsets.UTF_8);
    return this;
  }

  /** How long it may take, output included; one minute unless set. */
  public ShortCommand timeout(Duration timeout) {
    requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be > 0, got " + timeout);
    }
    this.timeout = timeout;
    return this;
  }

  /**
   * Its stderr goes to its stdout, interleaved as written; {@link CommandResult#stderr()} is "".
   */
  public ShortCommand mergeStderr() {
    this.mergeStderr = true;
    return this;
  }

  /**
   * Gets each line it writes (stdout and stderr), as it comes, one call at a time. A listener that
   * throws is not called again.
   */
  public ShortCommand onLine(Consumer<String> listener) {
    this.lines = requireNonNull(listener, "listener");
    return this;
  }

  /** Runs it and fails unless it exits 0: {@code run().orThrow()}. */
  public CommandResult check() throws CommandException {
    return run().orThrow();
  }

  /**
   * Runs it to its end: its exit code and output, whatever the code.
   *
   * @throws CommandException when it cannot start ({@code "cannot run git: not found (PATH=...)"}),
   *     when it is not done by the timeout ({@code "git fetch timed out after 60s"}), or when this
   *     thread is interrupted; in the last two cases its processes were ended
   */
  public CommandResult run() throws CommandException {
    List<String> command = new ArrayList<>(sessionPrefix(Optional.ofNullable(user)));
    command.addAll(argv);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(mergeStderr);
    if (directory != null) {
      builder.directory(directory.toFile());
    }
    Map<String, String> environment = builder.environment();
    if (cleanEnv) {
      environment.clear();
    }
    environment.keySet().removeIf(dropped);
    environment.putAll(env);
    checkProgram(environment.getOrDefault("PATH", DEFAULT_PATH));

    long deadline = System.nanoTime() + timeout.toNanos();
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new CommandException(
          CommandException.Reason.NOT_STARTED, "cannot run " + name + ": " + e.getMessage(), e);
    }
    Object lock = new Object();
    Consumer<String> listener =
        lines == null
            ? null
            : line -> {
              synchronized (lock) {
                lines.accept(line);
              }
            };
    Capture out = Capture.start(process.getInputStream(), name + " stdout", listener);
    Capture err =
        mergeStderr ? null : Capture.start(process.getErrorStream(), name + " stderr", listener);
    feed(process, name);

    boolean done;
    try {
      done =
          process.waitFor(remaining(deadline), TimeUnit.NANOSECONDS)
              && out.await(Duration.ofNanos(remaining(deadline)))
              && (err == null || err.await(Duration.ofNanos(remaining(deadline))));
    } catch (InterruptedException e) {
      Session.end(process.toHandle(), GRACE);
      Thread.currentThread().interrupt();
      throw new CommandException(
          CommandException.Reason.INTERRUPTED,
          name + " was interrupted; its processes were ended",
          OptionalInt.empty(),
          List.of());
    }
    // Done or not, nothing it started stays: at the timeout its whole tree goes; after its end,
    // what it left in its session (a daemonized child) goes with it.
    Session.end(process.toHandle(), GRACE);
    if (!done) {
      // Its output closes with the last process that held it; a process that escaped into a
      // session of its own and kept it is not waited for.
      awaitQuietly(out, err);
      throw new CommandException(
          CommandException.Reason.TIMED_OUT,
          name + " timed out after " + describe(timeout),
          OptionalInt.empty(),
          CommandResult.last(err == null || err.text().isBlank() ? out.text() : err.text()));
    }
    return new CommandResult(name, process.exitValue(), out.text(), err == null ? "" : err.text());
  }

  /**
   * Fails before starting anything when the program is not there: run through setsid, a missing
   * program would read as setsid's own failure.
   */
  private void checkProgram(String path) throws CommandException {
    String program = argv.get(0);
    if (program.contains("/")) {
      if (!Files.isExecutable(resolve(Path.of(program)))) {
        throw new CommandException(
            CommandException.Reason.NOT_STARTED,
            "cannot run " + name + ": " + program + " is not an executable file",
            OptionalInt.empty(),
            List.of());
      }
      return;
    }
    for (String dir : path.split(":", -1)) {
      Path candidate = resolve(Path.of(dir.isEmpty() ? "." : dir, program));
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return;
      }
    }
    throw new CommandException(
        CommandException.Reason.NOT_STARTED,
        "cannot run " + name + ": " + program + " not found (PATH=" + path + ")",
        OptionalInt.empty(),
        List.of());
  }

  /** A relative path as the child sees it: from its working directory. */
  private Path resolve(Path path) {
    return directory == null || path.isAbsolute() ? path : directory.resolve(path);
  }

  /**
   * Writes its stdin on a thread of its own (a child that does not read it must not block the
   * caller), or closes it at once.
   */
  private void feed(Process process, String name) {
    OutputStream in = process.getOutputStream();
    if (stdin == null) {
      try {
        in.close();
      } catch (IOException e) {
        // Gone already: its exit tells.
      }
      return;
    }
    byte[] input = stdin;
    Thread.ofVirtual()
        .name(name + " stdin")
        .start(
            () -> {
              try (in) {
                in.write(input);
              } catch (IOException e) {
                // It exited or closed its stdin without reading it all: its exit tells.
              }
            });
  }

  private static void awaitQuietly(Capture out, Capture err) {
    try {
      out.await(GRACE);
      if (err != null) {
        err.await(GRACE);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static long remaining(long deadline) {
    return Math.max(0, deadline - System.nanoTime());
  }

  /** "60s", "1.5s", "250ms". */
  static String describe(Duration duration) {
    if (duration.toMillis() < 1000) {
      return duration.toMillis() + "ms";
    }
    if (duration.toMillis() % 1000 == 0) {
      return duration.toSeconds() + "s";
    }
    return String.format(java.util.Locale.ROOT, "%.1fs", duration.toMillis() / 1000.0);
  }
}
