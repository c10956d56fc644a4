package org.twinsign.appliance.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.twinsign.appliance.CliRun;
import picocli.CommandLine;

/** Every command and subcommand explains itself: {@code --help} prints its usage and exits 0. */
class CommandHelpTest {

  private static void collect(CommandLine command, List<String> path, List<List<String>> all) {
    for (var entry : command.getSubcommands().entrySet()) {
      if (!entry.getValue().getCommandName().equals(entry.getKey())) {
        continue; // an alias
      }
      List<String> sub = new ArrayList<>(path);
      sub.add(entry.getKey());
      all.add(sub);
      collect(entry.getValue(), sub, all);
    }
  }

  private static List<List<String>> commands() {
    List<List<String>> all = new ArrayList<>();
    collect(TwinsignCommand.commandLine(), List.of(), all);
    return all;
  }

  @Test
  void helpOnEveryCommandPrintsItsUsageAndExitsZero() {
    List<List<String>> commands = commands();
    assertTrue(commands.size() > 30, "found " + commands);
    for (List<String> command : commands) {
      if (command.get(command.size() - 1).equals("help")) {
        continue;
      }
      List<String> args = new ArrayList<>(command);
      args.add("--help");
      CliRun result = CliRun.of(args.toArray(String[]::new));
      assertEquals(0, result.exit(), "twinsign " + String.join(" ", args) + ": " + result.err());
      assertTrue(result.out().startsWith("Usage: twinsign " + String.join(" ", command)),
          "twinsign " + String.join(" ", args) + ": " + result.out());
    }
  }

  @Test
  void theFirstLineOfEveryDescriptionIsAWholeSentence() {
    CommandLine root = TwinsignCommand.commandLine();
    for (List<String> command : commands()) {
      if (command.equals(List.of("help"))) {
        continue; // picocli's own, summarised by its header
      }
      CommandLine line = root;
      for (String name : command) {
        line = line.getSubcommands().get(name);
      }
      String[] description = line.getCommandSpec().usageMessage().description();
      assertTrue(description.length > 0, "twinsign " + String.join(" ", command) + " has no description");
      String first = description[0].strip();
      assertTrue(first.endsWith(".") && Character.isUpperCase(first.charAt(0)),
          "twinsign " + String.join(" ", command) + ": '" + first + "' is not a whole sentence (--help lists it alone)");
    }
  }
}
