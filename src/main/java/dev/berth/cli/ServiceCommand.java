package dev.berth.cli;

import dev.berth.config.Config;
import dev.berth.config.ConfigException;
import dev.berth.config.ConfigLoader;
import dev.berth.service.Host;
import dev.berth.service.ServiceException;
import dev.berth.service.ServiceInstaller;
import dev.berth.service.ServicePlan;
import dev.berth.service.SystemHost;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code berth service install|uninstall}: start berth at boot (systemd unit or crontab line). */
@Command(
    name = "service",
    description = {
      "Make berth start at boot, or stop doing so.",
      "A systemd unit (root, or your own user), else an @reboot crontab line."
    },
    subcommands = {ServiceCommand.Install.class, ServiceCommand.Uninstall.class})
final class ServiceCommand implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help and exit.")
  boolean help;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "service: say what to do: install or uninstall");
  }

  /** Options both subcommands take. */
  static final class Common {
    @Option(
        names = "--dry-run",
        description = "Print exactly what would be written and run, and change nothing.")
    boolean dryRun;

    @Option(
        names = "--name",
        paramLabel = "NAME",
        defaultValue = "berth",
        description =
            "The service's name: NAME.service, and the crontab line's marker. Default: ${DEFAULT-VALUE}.")
    String name;
  }

  @Command(
      name = "install",
      description = {
        "Make berth start at boot with this config (berth up -c FILE).",
        "With systemd, it starts now too.",
        "As root: /etc/systemd/system/NAME.service, running berth as an unprivileged user with CAP_NET_BIND_SERVICE."
            + " As an ordinary user: ~/.config/systemd/user/NAME.service when a systemd user instance is reachable,"
            + " else an @reboot line in your crontab."
      })
  static final class Install extends BerthCommand.ConfigCommand {
    @CommandLine.Mixin Common common;

    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "Show this help and exit.")
    boolean help;

    @Option(
        names = "--user",
        paramLabel = "NAME",
        description =
            "As root: the user berth runs as. Default: $SUDO_USER, else the config file's owner.")
    String user;

    @Option(
        names = "--cron",
        description =
            "As an ordinary user: an @reboot crontab line even where systemd could be used.")
    boolean cron;

    @Override
    int run(Config config) {
      PrintWriter err = spec.commandLine().getErr();
      // Which config ConfigCommand took: without -c, $BERTH_CONFIG or ./berth.toml, the examples.
      String fromEnv = System.getenv("BERTH_CONFIG");
      if (file == null
          && (fromEnv == null || fromEnv.isBlank())
          && !Files.exists(Path.of("berth.toml"))) {
        err.println(
            "berth: service install: say which config to start at boot with -c FILE (not the bundled examples)");
        err.flush();
        return BerthCommand.EXIT_USAGE;
      }
      // The service runs berth as a user, never as root: its state dir is the one such a berth
      // takes, whoever installs it.
      Config asService;
      try {
        asService = ConfigLoader.loadAsUser(config.file());
      } catch (ConfigException e) {
        e.problems().forEach(err::println);
        err.flush();
        return BerthCommand.EXIT_USAGE;
      }
      Host host = new SystemHost();
      ServiceInstaller.Options options = new ServiceInstaller.Options(common.name, user, cron);
      return carryOut(
          spec,
          common,
          host,
          () -> new ServiceInstaller(host).install(asService, options),
          "berth service install");
    }
  }

  @Command(
      name = "uninstall",
      description = "Stop and remove what 'service install' set up under this name.")
  static final class Uninstall implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin Common common;

    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "Show this help and exit.")
    boolean help;

    @Override
    public Integer call() {
      Host host = new SystemHost();
      ServiceInstaller.Options options = new ServiceInstaller.Options(common.name, null, false);
      return carryOut(
          spec,
          common,
          host,
          () -> new ServiceInstaller(host).uninstall(options),
          "berth service uninstall");
    }
  }

  private interface Planner {
    ServicePlan plan() throws ServiceException;
  }

  private static int carryOut(
      CommandLine.Model.CommandSpec spec,
      Common common,
      Host host,
      Planner planner,
      String command) {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    ServicePlan plan;
    try {
      plan = planner.plan();
    } catch (ServiceException e) {
      err.println("berth: " + e.getMessage());
      err.flush();
      return e.exitCode();
    }
    if (common.dryRun) {
      plan.printDryRun(command, out);
      return 0;
    }
    return plan.execute(host, out, err);
  }
}
