package org.twinsign.appliance.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import org.twinsign.appliance.policy.KaspPolicy;
import org.twinsign.appliance.service.Services;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code twinsign policy import|list|export}: KASP policies in OpenDNSSEC's kasp.xml. */
@Command(name = "policy", description = "KASP policies (OpenDNSSEC kasp.xml).",
    subcommands = {PolicyCommand.Import.class, PolicyCommand.ListPolicies.class, PolicyCommand.Export.class})
final class PolicyCommand implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @CommandLine.ParentCommand
  TwinsignCommand parent;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(name = "import", description = "Add or update the policies of a kasp.xml (all or none).")
  static final class Import implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.ParentCommand
    PolicyCommand policy;

    @Parameters(paramLabel = "FILE", description = "kasp.xml")
    Path file;

    @Override
    public void run() {
      try (Services services = Services.open(policy.parent.config())) {
        services.policies().importFile(file).forEach(spec.commandLine().getOut()::println);
      }
    }
  }

  @Command(name = "list", description = "The stored policies.")
  static final class ListPolicies implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.ParentCommand
    PolicyCommand policy;

    @Override
    public void run() {
      try (Services services = Services.open(policy.parent.config())) {
        PrintWriter out = spec.commandLine().getOut();
        out.printf("%-20s %s%n", "Policy:", "Description:");
        for (KaspPolicy p : services.policies().list()) {
          out.printf("%-20s %s%n", p.name(), p.description());
        }
      }
    }
  }

  @Command(name = "export", description = "The stored policies as kasp.xml on standard output.")
  static final class Export implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.ParentCommand
    PolicyCommand policy;

    @CommandLine.Option(names = "--policy", paramLabel = "NAME", description = "Only this policy.")
    String name;

    @Override
    public void run() {
      try (Services services = Services.open(policy.parent.config())) {
        spec.commandLine().getOut().print(services.policies().export(name));
      }
    }
  }
}
