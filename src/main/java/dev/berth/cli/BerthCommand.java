package dev.berth.cli;

import dev.berth.config.Config;
import dev.berth.config.ConfigException;
import dev.berth.config.ConfigLoader;
import dev.berth.daemon.Daemon;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code berth} command line. Exit codes: 0 fine, 1 failed while running, 2 bad usage or config. */
@Command(
    name = "berth",
    mixinStandardHelpOptions = true,
    versionProvider = BerthCommand.Version.class,
    description = "Serve web apps: edge proxy, process supervisor and deploys in one program.",
    subcommands = {BerthCommand.Up.class, BerthCommand.Check.class, CommandLine.HelpCommand.class})
public final class BerthCommand implements Runnable {

  static final int EXIT_FAILED = 1;
  static final int EXIT_USAGE = 2;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static int run(String... args) {
    CommandLine cli = new CommandLine(new BerthCommand());
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

  /** The --config option, mixed into the commands that read a config file. */
  static final class ConfigOption {
    @Option(
        names = {"-c", "--config"},
        paramLabel = "FILE",
        description =
            "Config file. Default: $BERTH_CONFIG, else ./berth.toml, else the bundled examples/berth.toml.")
    Path file;

    Path resolve() {
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

    /** The loaded config, or null after printing every problem. */
    Config load(PrintWriter err) {
      try {
        return ConfigLoader.load(resolve());
      } catch (ConfigException e) {
        e.problems().forEach(problem -> err.println(problem));
        err.flush();
        return null;
      }
    }
  }

  @Command(name = "up", description = "Start the edge and every app, in the foreground, until SIGINT/SIGTERM.")
  static final class Up implements Callable<Integer> {
    @CommandLine.Mixin ConfigOption config;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      Config loaded = config.load(spec.commandLine().getErr());
      if (loaded == null) {
        return EXIT_USAGE;
      }
      return new Daemon(loaded, System.out).run();
    }
  }

  @Command(name = "check", description = "Validate a config file and exit: 0 when it is valid.")
  static final class Check implements Callable<Integer> {
    @CommandLine.Mixin ConfigOption config;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      Config loaded = config.load(spec.commandLine().getErr());
      if (loaded == null) {
        return EXIT_USAGE;
      }
      spec.commandLine()
          .getOut()
          .println(
              loaded.file() + ": ok (" + loaded.listeners().size() + " listener(s), " + loaded.apps().size()
                  + " app(s), " + loaded.routes().size() + " route(s))");
      return 0;
    }
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = BerthCommand.class.getPackage().getImplementationVersion();
      return new String[] {"berth " + (version == null ? "dev" : version) + " (Java " + Runtime.version() + ")"};
    }
  }
}
