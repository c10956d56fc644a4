package org.twinsign.appliance.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import org.twinsign.appliance.service.Services;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code twinsign zonelist import FILE}: the zones of an OpenDNSSEC zonelist.xml. */
@Command(name = "zonelist", description = "OpenDNSSEC zonelist.xml.", subcommands = {ZonelistCommand.Import.class,
    ZonelistCommand.Export.class})
final class ZonelistCommand extends CommandGroup {

  @Command(name = "import", description = {"Add the zones of a zonelist.xml to the store (all or none).",
      "A zone already there whose <Policy> changed moves to that policy, as in OpenDNSSEC."})
  static final class Import extends ServiceCommand {
    @Parameters(paramLabel = "FILE", description = "zonelist.xml")
    Path file;

    @Override
    void run(Services services, PrintWriter out) {
      services.zones().importZonelist(file).forEach(out::println);
    }
  }

  @Command(name = "export", description = "Print the zones as an OpenDNSSEC zonelist.xml (File adapters).")
  static final class Export extends ServiceCommand {
    @Override
    public boolean changesState() {
      return false;
    }

    @Override
    void run(Services services, PrintWriter out) {
      out.print(services.zones().exportZonelist());
    }
  }
}
