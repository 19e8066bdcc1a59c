package dev.berth.supervisor;

import dev.berth.config.App;
import dev.berth.config.UserAccount;
import dev.berth.process.ShortCommand;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The command line an app's process starts with: an instance's, or a deploy's build or release
 * phase. The process gets a session and process group of its own and, when berth is root, the app's
 * user.
 */
final class AppCommand {

  private AppCommand() {}

  /**
   * {@code setsid [setpriv --reuid --regid --init-groups] /bin/sh -c LINE}, the prefix built by the
   * process layer ({@link ShortCommand#sessionPrefix}). setsid: its own session and process group,
   * so a terminal's Ctrl-C reaches berth alone and berth stops the apps in order; the group lets
   * berth find the whole tree later.
   */
  static List<String> argv(Optional<UserAccount> runAs, String shellLine) {
    List<String> argv = new ArrayList<>(ShortCommand.sessionPrefix(runAs.map(UserAccount::runAs)));
    argv.addAll(List.of("/bin/sh", "-c", shellLine));
    return argv;
  }

  /** A process builder for {@code argv} in the app's dir, its errors merged into its output. */
  static ProcessBuilder builder(App app, List<String> argv) {
    return new ProcessBuilder(argv).directory(app.run().dir().toFile()).redirectErrorStream(true);
  }

  /** The command of a process type: the app's command for web, else its process's. */
  static String commandOf(App app, String type) {
    if (type.equals(Instance.WEB)) {
      return app.run().command();
    }
    return app.run().processes().stream()
        .filter(p -> p.name().equals(type))
        .map(App.ProcessType::command)
        .findFirst()
        .orElseThrow(
            () -> new IllegalArgumentException(app.name() + " has no process type " + type));
  }

  /**
   * A single command is exec'd, so the app itself (not a shell) is the process berth watches and
   * signals; a list or pipeline ("a && b", "a | b") runs under the shell, whose whole group berth
   * signals anyway.
   */
  static String shellLine(String command) {
    boolean compound = command.matches("(?s).*(&&|\\|\\||;|\\||&|\\n).*");
    return compound ? command : "exec " + command;
  }
}
