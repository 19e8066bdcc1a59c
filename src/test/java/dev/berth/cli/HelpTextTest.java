package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The command lists of {@code berth --help} (and of commands with subcommands) show each command's
 * first description line: that line must be a whole sentence that fits one row at 80 columns, or
 * the list cuts it mid-sentence.
 */
class HelpTextTest {

  @Test
  void everyCommandListRowIsOneWholeSentenceWithin80Columns() {
    List<CommandLine> withSubcommands = new ArrayList<>();
    collect(BerthCommand.commandLine(), withSubcommands);
    assertThat(withSubcommands).hasSizeGreaterThanOrEqualTo(3); // berth, service, git

    for (CommandLine command : withSubcommands) {
      String usage = command.getUsageMessage(CommandLine.Help.Ansi.OFF);
      List<String> rows = commandRows(usage);
      assertThat(rows)
          .as("commands listed by %s --help", command.getCommandName())
          .hasSize(command.getSubcommands().size());
      for (String row : rows) {
        assertThat(row.length()).as("width of: %s", row).isLessThanOrEqualTo(80);
        assertThat(row)
            .as("a command and one sentence, not wrapped onto a second line:\n%s", usage)
            .matches("  [a-z]+ +[A-Z'][^\n]*\\.");
      }
    }
  }

  @Test
  void everySummaryIsOneSentence() {
    List<CommandLine> all = new ArrayList<>();
    collectAll(BerthCommand.commandLine(), all);
    for (CommandLine command : all) {
      String[] description = command.getCommandSpec().usageMessage().description();
      assertThat(description).as(command.getCommandName()).isNotEmpty();
      String summary = description[0];
      assertThat(summary)
          .as("summary of %s", command.getCommandName())
          .endsWith(".")
          .doesNotContain(". ")
          .doesNotContain("; ");
    }
  }

  /** The rows under "Commands:", up to the end of the usage message. */
  private static List<String> commandRows(String usage) {
    List<String> lines = usage.lines().toList();
    int start = lines.indexOf("Commands:");
    assertThat(start).as("a Commands: list in\n%s", usage).isNotNegative();
    return lines.subList(start + 1, lines.size()).stream().filter(l -> !l.isBlank()).toList();
  }

  private static void collect(CommandLine command, List<CommandLine> into) {
    if (!command.getSubcommands().isEmpty()) {
      into.add(command);
    }
    command.getSubcommands().values().forEach(sub -> collect(sub, into));
  }

  private static void collectAll(CommandLine command, List<CommandLine> into) {
    into.add(command);
    command.getSubcommands().values().forEach(sub -> collectAll(sub, into));
  }
}
