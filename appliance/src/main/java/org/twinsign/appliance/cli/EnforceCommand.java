package org.twinsign.appliance.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import org.twinsign.appliance.service.EnforcerService;
import org.twinsign.appliance.service.Services;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code twinsign enforce}: run the enforcer once and sign the zones that need it. */
@Command(name = "enforce", description = {"Run the key enforcer once and sign the zones that need it.",
    "Runs the DS hooks the enforcer asks for, and signs the zones whose keys, records, input or signatures",
    "changed. A zone that fails keeps its state; zones do not wait for each other."})
final class EnforceCommand extends ServiceCommand {
  @CommandLine.Option(names = "--zone", paramLabel = "ZONE",
      description = "Only this zone (repeatable); by default every zone.")
  java.util.List<String> zones = new java.util.ArrayList<>();

  @CommandLine.Option(names = "--json", description = "Print the result per zone as JSON.")
  boolean json;

  @Override
  void run(Services services, PrintWriter out) {
    EnforcerService.Report report = services.enforcer().enforce(zones);
    if (zones.isEmpty()) {
      alerts(spec, services);
    }
    report(spec, report, json);
  }

  /**
   * A single signer has no daemon: its alerts are looked at, queued and mailed after each full run
   * ({@code enforce} from cron or a timer, {@code time leap}). A node of a pair has its alert loop.
   */
  static void alerts(CommandLine.Model.CommandSpec spec, Services services) {
    if (services.config().pair() != null) {
      return;
    }
    try {
      org.twinsign.appliance.alert.AlertOutbox.once(services, services.config().alerts(), "single", "single",
          new org.twinsign.appliance.alert.KeyAlerts(java.time.Duration.ZERO),
          new org.twinsign.appliance.alert.KeyPoolAlerts(java.time.Duration.ZERO));
    } catch (RuntimeException e) {
      spec.commandLine().getErr().println("warning: alerts: " + e.getMessage());
    }
  }

  /** Prints what was done (as text, or as JSON); zones that failed go to stderr and make the command fail. */
  static void report(CommandLine.Model.CommandSpec spec, EnforcerService.Report report, boolean json) {
    if (json) {
      JsonOutput.print(spec.commandLine().getOut(), report);
    } else {
      report.lines().forEach(spec.commandLine().getOut()::println);
    }
    List<String> problems = new ArrayList<>();
    if (!report.failures().isEmpty()) {
      problems.add(report.failures().size() + " zone(s) failed (each says what was kept):\n  "
          + String.join("\n  ", report.failures()));
    }
    if (!report.warnings().isEmpty()) {
      problems.add("committed, but what followed failed:\n  " + String.join("\n  ", report.warnings()));
    }
    if (!problems.isEmpty()) {
      throw new IllegalStateException(String.join("\n", problems));
    }
  }
}
