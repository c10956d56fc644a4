package org.twinsign.appliance.cli;

import java.nio.file.Path;
import org.twinsign.appliance.service.Services;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code twinsign zonelist import FILE}: the zones of an OpenDNSSEC zonelist.xml. */
@Command(name = "zonelist", description = "OpenDNSSEC zonelist.xml.", subcommands = ZonelistCommand.Import.class)
final class ZonelistCommand implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @CommandLine.ParentCommand
  TwinsignCommand parent;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(name = "import", description = "Add the zones of a zonelist.xml that are not in the store (all or none).")
  static final class Import implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.ParentCommand
    ZonelistCommand zonelist;

    @Parameters(paramLabel = "FILE", description = "zonelist.xml")
    Path file;

    @Override
    public void run() {
      try (Services services = Services.open(zonelist.parent.config())) {
        services.zones().importZonelist(file).forEach(spec.commandLine().getOut()::println);
      }
    }
  }
}
