package org.twinsign.appliance.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import org.twinsign.appliance.service.Services;
import org.twinsign.appliance.store.ZoneTable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code twinsign zone add|list|delete}. */
@Command(name = "zone", description = "Zones: their policy and files.",
    subcommands = {ZoneCommand.Add.class, ZoneCommand.ListZones.class, ZoneCommand.Delete.class})
final class ZoneCommand implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @CommandLine.ParentCommand
  TwinsignCommand parent;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(name = "add", description = "Add a zone; its keys come with the next 'enforce'.")
  static final class Add implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.ParentCommand
    ZoneCommand zone;

    @Option(names = "--zone", required = true, paramLabel = "NAME")
    String name;

    @Option(names = "--policy", required = true, paramLabel = "POLICY")
    String policy;

    @Option(names = "--input", required = true, paramLabel = "FILE", description = "The unsigned zone file.")
    Path input;

    @Option(names = "--output", required = true, paramLabel = "FILE", description = "Where the signed zone goes.")
    Path output;

    @Override
    public void run() {
      try (Services services = Services.open(zone.parent.config())) {
        spec.commandLine().getOut().println(services.zones().add(name, policy, input, output));
      }
    }
  }

  @Command(name = "list", description = "The zones, their policies and files.")
  static final class ListZones implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.ParentCommand
    ZoneCommand zone;

    @Override
    public void run() {
      try (Services services = Services.open(zone.parent.config())) {
        PrintWriter out = spec.commandLine().getOut();
        out.printf("%-30s %-16s %-12s %s%n", "Zone:", "Policy:", "Serial:", "Input -> output:");
        for (ZoneTable.ZoneRow row : services.zones().list()) {
          out.printf("%-30s %-16s %-12s %s -> %s%n", row.name(), row.policy(),
              row.signedSerial() == null ? "-" : row.signedSerial(), row.input(), row.output());
        }
      }
    }
  }

  @Command(name = "delete", description = "Delete a zone and its key state (its keys are destroyed).")
  static final class Delete implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.ParentCommand
    ZoneCommand zone;

    @Option(names = "--zone", required = true, paramLabel = "NAME")
    String name;

    @Override
    public void run() {
      try (Services services = Services.open(zone.parent.config())) {
        spec.commandLine().getOut().println(services.zones().delete(name));
      }
    }
  }
}
