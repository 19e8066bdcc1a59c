package dev.berth;

import dev.berth.cli.BerthCommand;

/** Entry point of the berth program. */
public final class Main {

  private Main() {}

  public static void main(String[] args) {
    // One line per record; must be set before anything touches java.util.logging.
    System.setProperty("java.util.logging.SimpleFormatter.format", "berth: %4$s: %5$s%6$s%n");
    System.exit(BerthCommand.run(args));
  }
}
