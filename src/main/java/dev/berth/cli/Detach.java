package dev.berth.cli;

import static java.util.Objects.requireNonNull;

import dev.berth.config.Config;
import dev.berth.daemon.PidFile;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * {@code berth up --detach}: starts {@code berth up} in the background, as supervisord or a forking
 * daemon does, and returns once it serves. The daemon runs in a session of its own ({@code setsid}:
 * no terminal, so no SIGHUP when the terminal goes, and no Ctrl-C), with standard input from
 * /dev/null and its standard output and error in {@code <state_dir>/log/berth.out}, a new one each
 * start (the last one kept as {@code berth.out.1}). Meanwhile this command shows what the daemon
 * prints there; the daemon writes its pid file once it serves, and stops writing to that file (its
 * lines go to its own log, rotated). If it exits first, this command exits with its exit code, its
 * messages shown. When a berth already runs from the state dir, it says so in one line and exits 0,
 * as {@code systemctl start} of a running unit does: a watchdog that runs it every few minutes
 * changes nothing and says nothing more.
 */
final class Detach {

  /** The hidden option of the daemon that this command starts. */
  static final String BACKGROUND_OPTION = "--background-daemon";

  private static final long POLL_MILLIS = 50;

  private final Config config;
  private final PrintWriter out;
  private final PrintWriter err;

  Detach(Config config, PrintWriter out, PrintWriter err) {
    this.config = requireNonNull(config, "config");
    this.out = requireNonNull(out, "out");
    this.err = requireNonNull(err, "err");
  }

  /** Whether a berth runs from the config's state dir already; if so, says so. */
  boolean alreadyRunning() {
    Optional<PidFile.Holder> running = PidFile.holder(config.stateDir());
    running.ifPresent(holder -> out.println(holder.describe()));
    out.flush();
    return running.isPresent();
  }

  /** Starts the daemon and waits until it serves. @return the exit code */
  int start() {
    Path stateDir = config.stateDir();
    Path output = stateDir.resolve("log").resolve("berth.out");
    try {
      createPrivateDirectory(stateDir);
      createPrivateDirectory(output.getParent());
      newOutputFile(output);
    } catch (IOException e) {
      err.println("berth: up --detach: cannot create " + output + ": " + e.getMessage());
      err.flush();
      return BerthCommand.EXIT_FAILED;
    }
    List<String> command =
        command(config.file().toAbsolutePath(), System.getenv(), javaCommandLine());
    Process daemon;
    try {
      daemon =
          new ProcessBuilder(command)
              .redirectInput(new File("/dev/null"))
              .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()))
              .redirectErrorStream(true)
              .start();
    } catch (IOException e) {
      err.println("berth: up --detach: cannot start " + command.getFirst() + ": " + e.getMessage());
      err.flush();
      return BerthCommand.EXIT_FAILED;
    }
    try (Relay relay = new Relay(output)) {
      return await(daemon, relay, stateDir.resolve(PidFile.NAME), output);
    } catch (IOException e) {
      err.println("berth: up --detach: cannot read " + output + ": " + e.getMessage());
      err.flush();
      return BerthCommand.EXIT_FAILED;
    }
  }

  /**
   * Shows the daemon's lines until its pid file names it (it serves) or it exits; a Ctrl-C here
   * leaves it running, as it runs in a session of its own.
   */
  private int await(Process daemon, Relay relay, Path pidFile, Path output) throws IOException {
    while (true) {
      boolean exited;
      try {
        exited = daemon.waitFor(POLL_MILLIS, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return BerthCommand.EXIT_FAILED;
      }
      if (!exited && PidFile.read(pidFile).orElse(-1) == daemon.pid()) {
        // Its last line, written before the pid, says where it runs and where its lines go.
        relay.copy(out, true);
        out.flush();
        return 0;
      }
      relay.copy(out, exited);
      out.flush();
      if (exited) {
        return exited(daemon.exitValue(), output);
      }
    }
  }

  /** The daemon exited before it served. */
  private int exited(int code, Path output) {
    // One started meanwhile (another watchdog run) holds the state dir: that one serves.
    Optional<PidFile.Holder> other = PidFile.holder(config.stateDir());
    if (other.isPresent()) {
      out.println(other.get().describe());
      out.flush();
      return 0;
    }
    err.println(
        "berth: up --detach: berth exited with "
            + code
            + " before it served (its output: "
            + output
            + ")");
    err.flush();
    return code == 0 ? BerthCommand.EXIT_FAILED : code;
  }

  /**
   * The command line of the daemon: through the launcher when berth was started by it (its JVM
   * options, its start-up cache), else this JVM's own command line; in a new session.
   *
   * @param javaCommandLine this JVM's program, options and class path, for when there is no
   *     launcher
   */
  static List<String> command(Path config, Map<String, String> env, List<String> javaCommandLine) {
    List<String> command = new ArrayList<>();
    // setsid(1) execs the command in a new session: it forks first only when it leads a process
    // group, and a child of this JVM does not. So the daemon's pid is the child's.
    command.add("setsid");
    String launcher = env.get("BERTH_LAUNCHER");
    if (launcher != null && launcher.startsWith("/")) {
      command.add(launcher);
    } else {
      command.addAll(javaCommandLine);
    }
    command.addAll(List.of("up", BACKGROUND_OPTION, "--config", config.toString()));
    return command;
  }

  /** java, this JVM's options, and its class path with berth's main class. */
  private static List<String> javaCommandLine() {
    List<String> line = new ArrayList<>();
    line.add(
        ProcessHandle.current()
            .info()
            .command()
            .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(option -> !option.startsWith("-Djava.class.path="))
        .forEach(line::add);
    line.add("-cp");
    line.add(System.getProperty("java.class.path"));
    line.add("dev.berth.Main");
    return line;
  }

  /** As the daemon makes it: owner only; one that exists keeps its mode. */
  private static void createPrivateDirectory(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(
          dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
  }

  /** A new, empty berth.out (0640, as the logs), the last one kept as berth.out.1 if not empty. */
  private static void newOutputFile(Path output) throws IOException {
    if (Files.exists(output) && Files.size(output) > 0) {
      Files.move(
          output,
          output.resolveSibling(output.getFileName() + ".1"),
          StandardCopyOption.REPLACE_EXISTING);
    }
    Files.deleteIfExists(output);
    Files.createFile(
        output, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r-----")));
  }

  /** Copies the lines a file gets, as they come. */
  private static final class Relay implements AutoCloseable {
    private final RandomAccessFile file;
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();

    Relay(Path path) throws IOException {
      this.file = new RandomAccessFile(path.toFile(), "r");
    }

    /** Prints the whole lines added since the last call; with {@code all}, a last partial one. */
    void copy(PrintWriter to, boolean all) throws IOException {
      byte[] buffer = new byte[8192];
      for (int n; (n = file.read(buffer)) > 0; ) {
        for (int i = 0; i < n; i++) {
          if (buffer[i] == '\n') {
            to.println(partial.toString(StandardCharsets.UTF_8));
            partial.reset();
          } else {
            partial.write(buffer[i]);
          }
        }
      }
      if (all && partial.size() > 0) {
        to.println(partial.toString(StandardCharsets.UTF_8));
        partial.reset();
      }
    }

    @Override
    public void close() throws IOException {
      file.close();
    }
  }
}
