package dev.berth.supervisor;

import static java.util.Objects.requireNonNull;

import dev.berth.config.App;
import dev.berth.config.UserAccount;
import dev.berth.logs.LinePump;
import dev.berth.logs.Logs;
import dev.berth.process.ShortCommand;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;

/**
 * One-off commands ({@code berth run}): a command run once in an app's current release, as its
 * user, with the environment its processes get. In the foreground the CLI starts it itself from
 * {@link #spec}, so that it has the caller's terminal; {@link #detach} starts it here instead, in a
 * session of its own, its output in the app's log, recorded in the state file until it exits and
 * ended when berth stops.
 */
public final class OneOffs {

  /** The process type a one-off reports in BERTH_PROCESS_TYPE unless it asks for another. */
  public static final String TYPE = "run";

  private static final Duration OUTPUT_END = Duration.ofSeconds(2);

  private final BiFunction<String, String, App> apps;
  private final AppDataDir dataDirs;
  private final RunningProcesses running;
  private final Logs logs;
  private final PrintStream console;
  private final Overrides overrides;
  private final BiConsumer<String, String> appLog;

  /** Detached one-offs per app, numbered from 1 in each berth's life (blog.run.1). */
  private final Map<String, AtomicInteger> numbers = new ConcurrentHashMap<>();

  /** Detached one-offs running now, with their app (for its stop timeout). */
  private final Map<Incarnation, App> detached = new ConcurrentHashMap<>();

  private volatile boolean closed;

  /**
   * @param apps the app berth runs now by name, checked to have the process type when one is given
   *     (null: any); throws IllegalArgumentException otherwise
   * @param console berth's own output, where a detached one's lines are copied too (null: not)
   * @param appLog writes a line from berth into an app's log: (app, line)
   */
  OneOffs(
      BiFunction<String, String, App> apps,
      AppDataDir dataDirs,
      RunningProcesses running,
      Logs logs,
      PrintStream console,
      Overrides overrides,
      BiConsumer<String, String> appLog) {
    this.apps = requireNonNull(apps, "apps");
    this.dataDirs = requireNonNull(dataDirs, "dataDirs");
    this.running = requireNonNull(running, "running");
    this.logs = requireNonNull(logs, "logs");
    this.console = console;
    this.overrides = requireNonNull(overrides, "overrides");
    this.appLog = requireNonNull(appLog, "appLog");
  }

  /**
   * How to run a one-off: in {@code dir}, the program and arguments {@code argv} (the app's user
   * switched to first, when it is another), with exactly {@code env}.
   *
   * @param user whom it runs as, for messages
   */
  public record Spec(Path dir, List<String> argv, Map<String, String> env, String user) {
    public Spec {
      requireNonNull(dir, "dir");
      argv = List.copyOf(argv);
      env = Map.copyOf(env);
      requireNonNull(user, "user");
    }
  }

  /** A detached one-off that started: its log source (blog.run.1) and pid. */
  public record Started(String tag, long pid) {}

  /** The directory the app's processes run in now: its current release. */
  public Path dir(String app) {
    return apps.apply(app, null).run().dir();
  }

  /**
   * What the CLI needs to run {@code command} in the foreground itself: no session of its own, so
   * that it stays in the terminal's foreground process group and gets its Ctrl-C.
   *
   * @param type the process type whose instances' BERTH_PROCESS_TYPE it gets (null: "run")
   * @param command a program and its arguments, or one shell command line (see {@link #shellLine})
   * @throws IllegalArgumentException when berth runs no such app or it has no such type
   * @throws IOException when its user or data directory cannot be had
   */
  public Spec spec(String app, String type, List<String> command) throws IOException {
    App definition = apps.apply(app, type);
    Optional<UserAccount> runAs = AppUser.of(definition);
    List<String> argv = new ArrayList<>(ShortCommand.userPrefix(runAs.map(UserAccount::runAs)));
    argv.addAll(List.of("/bin/sh", "-c", shellLine(command)));
    return new Spec(
        definition.run().dir(), argv, environment(definition, type, runAs), AppUser.name(runAs));
  }

  /**
   * Starts {@code command} in the background: in a session of its own, its output (stdout and
   * stderr, no stdin) in the app's log as {@code APP.run.N}, ended with its whole group when berth
   * stops or when it exits (what it left behind), and its exit code logged.
   *
   * @throws IllegalArgumentException when berth runs no such app or it has no such type
   * @throws IOException when it cannot start, or berth is stopping
   */
  public Started detach(String app, String type, List<String> command) throws IOException {
    if (closed) {
      throw new IOException("berth is stopping");
    }
    App definition = apps.apply(app, type);
    Optional<UserAccount> runAs = AppUser.of(definition);
    ProcessBuilder builder =
        AppCommand.builder(definition, AppCommand.argv(runAs, shellLine(command)))
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    Map<String, String> env = builder.environment();
    env.clear();
    env.putAll(environment(definition, type, runAs));
    String tag =
        app
            + "."
            + TYPE
            + "."
            + numbers.computeIfAbsent(app, a -> new AtomicInteger()).incrementAndGet();
    Process process = builder.start();
    LinePump pump =
        console == null
            ? LinePump.start(tag, process.getInputStream(), logs.stream(app))
            : LinePump.start(tag, process.getInputStream(), logs.stream(app), console);
    Incarnation incarnation = new Incarnation(tag, type, null, process, pump);
    detached.put(incarnation, definition);
    running.add(incarnation);
    running.write();
    appLog.accept(app, tag + ": started (pid " + process.pid() + "): " + String.join(" ", command));
    process
        .onExit()
        .thenRunAsync(() -> ended(app, incarnation), r -> Thread.ofVirtual().name(tag).start(r));
    if (closed) {
      // stopAll ran between the check above and the put: it did not see this one.
      stop(incarnation, definition);
    }
    return new Started(tag, process.pid());
  }

  /** Berth is stopping: nothing detached starts from now on; those running are ended. */
  List<CompletableFuture<Void>> stopAll() {
    closed = true;
    return detached.entrySet().stream()
        .map(
            one ->
                CompletableFuture.runAsync(
                    () -> stop(one.getKey(), one.getValue()), r -> Thread.ofVirtual().start(r)))
        .toList();
  }

  /**
   * The command as a line for {@code sh -c}: one argument with a blank in it is a command line
   * already ({@code berth run blog -- "python manage.py migrate && echo done"}), as {@code heroku
   * run} takes one; otherwise the arguments are the program and its arguments, each quoted, run
   * with {@code exec} so that the program (looked up on the app's PATH) is the process.
   */
  static String shellLine(List<String> command) {
    if (command.isEmpty()) {
      throw new IllegalArgumentException("no command to run");
    }
    if (command.size() == 1 && command.get(0).matches("(?s).*\\s.*")) {
      return AppCommand.shellLine(command.get(0).strip());
    }
    List<String> quoted = new ArrayList<>();
    for (String arg : command) {
      quoted.add("'" + arg.replace("'", "'\\''") + "'");
    }
    return "exec " + String.join(" ", quoted);
  }

  /** The app's processes' environment, over berth's own, with BERTH_PROCESS_TYPE. */
  private Map<String, String> environment(App app, String type, Optional<UserAccount> runAs)
      throws IOException {
    Map<String, String> env = new HashMap<>(System.getenv());
    AppEnvironment.apply(env, app, overrides.env(app.name()), runAs);
    dataDirs.prepare(app.name(), runAs, env);
    env.put("BERTH_PROCESS_TYPE", type == null ? TYPE : type);
    return env;
  }

  /** It exited: what it left in its group goes too, and the app's log says how it ended. */
  private void ended(String app, Incarnation incarnation) {
    App definition = detached.get(incarnation);
    Process process = incarnation.process();
    if (definition != null
        && !ProcessTree.leftovers(process.pid(), incarnation.started()).isEmpty()) {
      stop(incarnation, definition);
    }
    incarnation.output().awaitEnd(OUTPUT_END);
    detached.remove(incarnation);
    running.remove(incarnation);
    running.write();
    appLog.accept(app, incarnation.tag() + ": exited with code " + process.exitValue());
  }

  private static void stop(Incarnation incarnation, App app) {
    ProcessTree.stop(
        incarnation.tag(),
        incarnation.process(),
        incarnation.started(),
        incarnation.stopTimeout(app));
  }
}
