package org.twinsign.appliance.cli;

import java.io.PrintWriter;
import java.util.List;
import org.twinsign.appliance.service.KeyReport;
import org.twinsign.appliance.service.Services;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code twinsign rollover list [--zone Z]}: each key's next transition, when, and what it waits for. */
@Command(name = "rollover", description = "Rollovers in progress and to come.",
    subcommands = RolloverCommand.ListRollovers.class)
final class RolloverCommand extends CommandGroup {

  @Command(name = "list", description = "Next transition per zone and key, with its time and what it waits for.")
  static final class ListRollovers extends ServiceCommand {
    @Override
    public boolean changesState() {
      return false;
    }

    @Option(names = "--zone", paramLabel = "NAME")
    String zone;

    @Option(names = "--json", description = "Print the transitions as JSON.")
    boolean json;

    @Override
    void run(Services services, PrintWriter out) {
      if (json) {
        JsonOutput.print(out, services.keys().list(zone).stream().map(JsonOutput.Rollover::of).toList());
        return;
      }
      List<KeyReport> reports = services.keys().list(zone); // an unknown zone is an error before any output
      String format = "%-24s %-8s %-7s %-9s %-20s %-20s %s%n";
      out.printf(format, "Zone:", "Keytype:", "KeyTag:", "State:", "Next:", "At:", "Waits for:");
      for (KeyReport report : reports) {
        out.printf(format, report.zone(), report.role(), report.keyTag(), report.state(), report.next(),
            KeyCommand.time(report.at()), report.waitsFor());
      }
    }
  }
}
