package dev.berth.cli;

import dev.berth.config.Config;
import dev.berth.config.ConfigException;
import dev.berth.config.ConfigLoader;
import dev.berth.daemon.Daemon;
import dev.berth.daemon.PreflightChecks;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code berth} command line. Exit codes: 0 fine, 1 failed while running, 2 bad usage or
 * config.
 */
@Command(
    name = "berth",
    mixinStandardHelpOptions = true,
    // --help and --version on every subcommand too.
    scope = CommandLine.ScopeType.INHERIT,
    versionProvider = BerthCommand.Version.class,
    description = "Serve web apps: edge proxy, process supervisor and deploys in one program.")
public final class BerthCommand implements Runnable {

  static final int EXIT_FAILED = 1;
  static final int EXIT_USAGE = 2;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** Every subcommand, in the order {@code berth --help} lists them. */
  private static final List<Class<?>> SUBCOMMANDS =
      List.of(
          Up.class,
          Check.class,
          AppCommands.Status.class,
          AppCommands.Logs.class,
          AppCommands.Start.class,
          AppCommands.Stop.class,
          AppCommands.Restart.class,
          AppCommands.Scale.class,
          AppCommands.Env.class,
          MaintenanceCommand.class,
          CertsCommand.class,
          RunCommand.class,
          DeployCommands.Deploy.class,
          DeployCommands.Rollback.class,
          DeployCommands.Releases.class,
          ReloadCommand.class,
          PingCommand.class,
          ServiceCommand.class,
          GitCommand.class,
          PasswdCommand.class,
          CommandLine.HelpCommand.class);

  /**
   * The command line for {@code args}. Only the subcommand that {@code args} name is built: picocli
   * builds each command's model by reflection, which was about half of the time from {@code berth
   * up} to serving. Anything else (help, a mistyped command) gets all of them.
   */
  public static CommandLine commandLine(String... args) {
    CommandLine cli = new CommandLine(new BerthCommand());
    String first = args.length == 0 ? "" : args[0];
    List<Class<?>> named =
        SUBCOMMANDS.stream()
            .filter(command -> command != CommandLine.HelpCommand.class)
            .filter(command -> command.getAnnotation(Command.class).name().equals(first))
            .toList();
    (named.isEmpty() ? SUBCOMMANDS : named).forEach(cli::addSubcommand);
    return cli;
  }

  public static int run(String... args) {
    CommandLine cli = commandLine(args);
    cli.setParameterExceptionHandler(
        (ex, argv) -> {
          PrintWriter err = ex.getCommandLine().getErr();
          err.println("berth: " + ex.getMessage() + " (see 'berth --help')");
          return EXIT_USAGE;
        });
    return cli.execute(args);
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /**
   * A command that works on a loaded config. Which file, and what happens when it is invalid (every
   * problem printed, exit 2), is decided here once.
   */
  abstract static class ConfigCommand implements Callable<Integer> {
    @Option(
        names = {"-c", "--config"},
        paramLabel = "FILE",
        // Short lines: picocli would break a long one inside "./berth.toml".
        description = {
          "Config file; default: $BERTH_CONFIG if set,",
          "else ./berth.toml if it exists,",
          "else the bundled examples/berth.toml."
        })
    Path file;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    abstract int run(Config config);

    /** What happens when the config is invalid: every problem printed, exit 2. */
    int invalid(Path file, ConfigException e) {
      PrintWriter err = spec.commandLine().getErr();
      e.problems().forEach(err::println);
      err.flush();
      return EXIT_USAGE;
    }

    @Override
    public final Integer call() {
      Config config;
      Path file = configFile();
      try {
        config = ConfigLoader.load(file);
      } catch (ConfigException e) {
        return invalid(file, e);
      }
      return run(config);
    }

    /**
     * The checks of the config against this host (programs found, dirs writable, as the apps'
     * users): warnings printed to {@code warnings}, errors to stderr as config errors are.
     *
     * @return whether the apps can start
     */
    final boolean preflight(Config config, java.util.function.Consumer<String> warnings) {
      PreflightChecks.Report report = PreflightChecks.of(config);
      report.warnings().forEach(line -> warnings.accept("berth: WARNING: " + line));
      PrintWriter err = spec.commandLine().getErr();
      report.errors().forEach(err::println);
      err.flush();
      return report.ok();
    }

    final Path configFile() {
      if (file != null) {
        return file;
      }
      String fromEnv = System.getenv("BERTH_CONFIG");
      if (fromEnv != null && !fromEnv.isBlank()) {
        return Path.of(fromEnv);
      }
      Path local = Path.of("berth.toml");
      if (Files.exists(local)) {
        return local;
      }
      String home = System.getenv("BERTH_HOME");
      return home == null ? local : Path.of(home, "examples", "berth.toml");
    }
  }

  @Command(
      name = "up",
      description = {
        "Start the edge and every app, in the foreground.",
        "Runs until SIGINT or SIGTERM, then drains connections and stops the apps.",
        "--detach starts it in the background and returns once it serves."
      })
  static final class Up extends ConfigCommand {
    @Option(
        names = {"-d", "--detach"},
        description = {
          "Start in the background and return once it serves, with its pid;",
          "its lines go to <state_dir>/log/berth.log. Exits 0 when it runs already."
        })
    boolean detach;

    @Option(
        names = "--echo",
        description = {
          "Copy the apps' output lines to standard output (as web.1 | line) even when",
          "it is not a terminal; they are in berth logs APP either way."
        })
    boolean echo;

    /** The daemon that {@code --detach} starts (see {@link Detach}). */
    @Option(names = Detach.BACKGROUND_OPTION, hidden = true)
    boolean background;

    @Override
    int run(Config config) {
      // The command that started it checked already, and showed what it found.
      if (background) {
        return new Daemon(config, System.out, true).run();
      }
      Detach detached =
          detach
              ? new Detach(config, spec.commandLine().getOut(), spec.commandLine().getErr())
              : null;
      if (detached != null && detached.alreadyRunning()) {
        return 0;
      }
      // Before anything starts: an app whose program is missing could not start anyway.
      if (!preflight(config, System.out::println)) {
        return EXIT_USAGE;
      }
      if (detached != null) {
        return detached.start();
      }
      return new Daemon(
              config, System.out, false, echo || PasswdCommand.isTerminal(System.console()))
          .run();
    }
  }

  @Command(name = "check", description = "Validate a config file and exit: 0 when it is valid.")
  static final class Check extends ConfigCommand {
    @Override
    int run(Config config) {
      PrintWriter err = spec.commandLine().getErr();
      if (!preflight(config, err::println)) {
        return EXIT_USAGE;
      }
      err.flush();
      spec.commandLine()
          .getOut()
          .println(
              config.file()
                  + ": ok ("
                  + config.listeners().size()
                  + " listener(s), "
                  + config.apps().size()
                  + " app(s), "
                  + config.routes().size()
                  + " route(s)); state in "
                  + config.stateDir());
      return 0;
    }
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = BerthCommand.class.getPackage().getImplementationVersion();
      return new String[] {
        "berth " + (version == null ? "dev" : version) + " (Java " + Runtime.version() + ")"
      };
    }
  }
}
