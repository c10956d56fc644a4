package org.twinsign.appliance.cli;

import java.io.PrintWriter;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import org.twinsign.appliance.service.Services;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code twinsign time leap}: move a simulation store's clock (OpenDNSSEC's {@code time leap}). */
@Command(name = "time", description = "The enforcer's clock of a simulation store.", subcommands = TimeCommand.Leap.class)
final class TimeCommand extends CommandGroup {

  @Command(name = "leap", description = {"Advance the clock to the next scheduled event (or --to TIME), then enforce.",
      "Only on a store made with 'setup --simulation'."})
  static final class Leap extends ServiceCommand {
    @Option(names = "--to", paramLabel = "TIME", description = "A UTC time, e.g. 2027-03-01T00:00:00Z.")
    String to;

    private Instant target;

    @Option(names = "--json", description = "Print the result per zone as JSON.")
    boolean json;

    @Override
    void check() {
      if (to != null) {
        try {
          target = Instant.parse(to);
        } catch (DateTimeParseException e) {
          throw new CommandLine.ParameterException(spec.commandLine(), "--to " + to
              + ": not a UTC time like 2027-03-01T00:00:00Z");
        }
      }
    }

    @Override
    void run(Services services, PrintWriter out) {
      var report = services.enforcer().leap(target);
      EnforceCommand.alerts(spec, services);
      EnforceCommand.report(spec, report, json);
    }
  }
}
