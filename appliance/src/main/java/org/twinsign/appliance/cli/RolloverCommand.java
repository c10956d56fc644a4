package org.twinsign.appliance.cli;

import java.io.PrintWriter;
import org.twinsign.appliance.service.KeyReport;
import org.twinsign.appliance.service.Services;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code twinsign rollover list [--zone Z]}: each key's next transition, when, and what it waits for. */
@Command(name = "rollover", description = "Rollovers in progress and to come.", subcommands = RolloverCommand.ListRollovers.class)
final class RolloverCommand implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @CommandLine.ParentCommand
  TwinsignCommand parent;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(name = "list", description = "Next transition per zone and key, with its time and what it waits for.")
  static final class ListRollovers implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.ParentCommand
    RolloverCommand rollover;

    @Option(names = "--zone", paramLabel = "NAME")
    String zone;

    @Override
    public void run() {
      try (Services services = Services.open(rollover.parent.config())) {
        PrintWriter out = spec.commandLine().getOut();
        String format = "%-24s %-8s %-7s %-9s %-20s %-20s %s%n";
        out.printf(format, "Zone:", "Keytype:", "KeyTag:", "State:", "Next:", "At:", "Waits for:");
        for (KeyReport report : services.keys().list(zone)) {
          out.printf(format, report.zone(), report.role(), report.keyTag(), report.state(), report.next(),
              KeyCommand.time(report.at()), report.waitsFor());
        }
      }
    }
  }
}
