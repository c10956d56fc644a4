package org.twinsign.appliance.cli;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import org.twinsign.appliance.service.Services;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code twinsign time leap}: move a simulation store's clock (OpenDNSSEC's {@code time leap}). */
@Command(name = "time", description = "The enforcer's clock of a simulation store.", subcommands = TimeCommand.Leap.class)
final class TimeCommand implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @CommandLine.ParentCommand
  TwinsignCommand parent;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(name = "leap", description = {"Advance the clock to the next scheduled event (or --to TIME), then enforce.",
      "Only on a store made with 'setup --simulation'."})
  static final class Leap implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.ParentCommand
    TimeCommand time;

    @Option(names = "--to", paramLabel = "TIME", description = "A UTC time, e.g. 2027-03-01T00:00:00Z.")
    String to;

    @Override
    public void run() {
      Instant target = null;
      if (to != null) {
        try {
          target = Instant.parse(to);
        } catch (DateTimeParseException e) {
          throw new CommandLine.ParameterException(spec.commandLine(), "--to " + to
              + ": not a UTC time like 2027-03-01T00:00:00Z");
        }
      }
      try (Services services = Services.open(time.parent.config())) {
        EnforceCommand.report(spec, services.enforcer().leap(target));
      }
    }
  }
}
