package org.twinsign.appliance.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import org.twinsign.appliance.service.Services;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code twinsign zonelist import FILE}: the zones of an OpenDNSSEC zonelist.xml. */
@Command(name = "zonelist", description = "OpenDNSSEC zonelist.xml.", subcommands = ZonelistCommand.Import.class)
final class ZonelistCommand extends CommandGroup {

  @Command(name = "import", description = "Add the zones of a zonelist.xml that are not in the store (all or none).")
  static final class Import extends ServiceCommand {
    @Parameters(paramLabel = "FILE", description = "zonelist.xml")
    Path file;

    @Override
    void run(Services services, PrintWriter out) {
      services.zones().importZonelist(file).forEach(out::println);
    }
  }
}
