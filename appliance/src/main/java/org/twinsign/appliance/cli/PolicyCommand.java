package org.twinsign.appliance.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import org.twinsign.appliance.policy.KaspPolicy;
import org.twinsign.appliance.service.Services;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code twinsign policy import|list|export}: KASP policies in OpenDNSSEC's kasp.xml. */
@Command(name = "policy", description = "KASP policies (OpenDNSSEC kasp.xml).",
    subcommands = {PolicyCommand.Import.class, PolicyCommand.ListPolicies.class, PolicyCommand.Export.class})
final class PolicyCommand extends CommandGroup {

  @Command(name = "import", description = "Add or update the policies of a kasp.xml (all or none).")
  static final class Import extends ServiceCommand {
    @Parameters(paramLabel = "FILE", description = "kasp.xml")
    Path file;

    @Override
    void run(Services services, PrintWriter out) {
      services.policies().importFile(file).forEach(out::println);
    }
  }

  @Command(name = "list", description = "The stored policies.")
  static final class ListPolicies extends ServiceCommand {
    @Override
    public boolean changesState() {
      return false;
    }

    @Override
    void run(Services services, PrintWriter out) {
      out.printf("%-20s %s%n", "Policy:", "Description:");
      for (KaspPolicy p : services.policies().list()) {
        out.printf("%-20s %s%n", p.name(), p.description());
      }
    }
  }

  @Command(name = "export", description = "The stored policies as kasp.xml on standard output.")
  static final class Export extends ServiceCommand {
    @Override
    public boolean changesState() {
      return false;
    }

    @Option(names = "--policy", paramLabel = "NAME", description = "Only this policy.")
    String name;

    @Override
    void run(Services services, PrintWriter out) {
      out.print(services.policies().export(name));
    }
  }
}
