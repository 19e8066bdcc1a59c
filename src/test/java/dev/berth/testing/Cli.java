package dev.berth.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.cli.BerthCommand;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A berth CLI command run in this JVM: its exit code and what it printed (stripped). */
public record Cli(int exit, String out, String err) {

  /** Runs {@code berth ARGS --config CONFIG}. */
  public static Cli run(Path config, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    List<String> argv = new ArrayList<>(List.of(args));
    argv.addAll(List.of("--config", config.toString()));
    int exit =
        BerthCommand.commandLine(argv.toArray(String[]::new))
            .setOut(new PrintWriter(out, true))
            .setErr(new PrintWriter(err, true))
            .execute(argv.toArray(String[]::new));
    return new Cli(exit, out.toString().strip(), err.toString().strip());
  }

  /** {@code berth status --json} of the berth that runs with {@code config}, which must answer. */
  public static JsonNode status(Path config) throws IOException {
    Cli status = run(config, "status", "--json");
    assertThat(status.exit()).as(status.err()).isZero();
    return new ObjectMapper().readTree(status.out());
  }

  /** The status row of instance {@code number} (its web one) of {@code app}. */
  public static JsonNode instance(Path config, String app, int number) throws IOException {
    JsonNode status = status(config);
    for (JsonNode i : status.path("instances")) {
      if (i.path("app").asText().equals(app) && i.path("instance").asInt() == number) {
        return i;
      }
    }
    throw new AssertionError("no instance " + app + "." + number + " in " + status);
  }
}
