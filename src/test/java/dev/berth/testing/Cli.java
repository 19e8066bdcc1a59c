package dev.berth.testing;

import dev.berth.cli.BerthCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/** A berth CLI command run in this JVM: its exit code and what it printed (stripped). */
public record Cli(int exit, String out, String err) {

  /** Runs {@code berth ARGS --config CONFIG}. */
  public static Cli run(Path config, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    List<String> argv = new ArrayList<>(List.of(args));
    argv.addAll(List.of("--config", config.toString()));
    int exit =
        new CommandLine(new BerthCommand())
            .setOut(new PrintWriter(out, true))
            .setErr(new PrintWriter(err, true))
            .execute(argv.toArray(String[]::new));
    return new Cli(exit, out.toString().strip(), err.toString().strip());
  }
}
