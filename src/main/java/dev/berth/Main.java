package dev.berth;

import dev.berth.cli.BerthCommand;
import java.nio.file.Files;
import java.nio.file.Path;

/** Entry point of the berth program. */
public final class Main {

  private Main() {}

  public static void main(String[] args) {
    // One line per record; must be set before anything touches java.util.logging.
    System.setProperty("java.util.logging.SimpleFormatter.format", "berth: %4$s: %5$s%6$s%n");
    // SLF4J comes with acme4j, without a provider: told to use none, it prints no warning at the
    // first look (Netty's, at start), and Netty logs through java.util.logging as before.
    System.setProperty("slf4j.internal.verbosity", "WARN");
    System.setProperty("slf4j.provider", "org.slf4j.helpers.NOP_FallbackServiceProvider");
    int exit = BerthCommand.run(args);
    quietUnlessServed();
    System.exit(exit);
  }

  /**
   * A {@code berth up} run by the launcher ({@code ./berth}) to record its start-up cache, that did
   * not serve and stop cleanly (a port taken, a bad config): the launcher throws away what the JVM
   * writes as it exits, and the JVM's line about it ("AOTConfiguration recorded: ...") would follow
   * berth's error. So stdout is closed first, which points it at /dev/null (the JDK does not close
   * the standard descriptors, it redirects them): berth's own output is written by then.
   */
  private static void quietUnlessServed() {
    String marker = System.getProperty("berth.cds.served");
    if (marker != null && !Files.exists(Path.of(marker))) {
      System.out.flush();
      System.out.close();
    }
  }
}
