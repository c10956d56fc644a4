package org.twinsign.appliance.cli;

import org.twinsign.appliance.store.Store;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code twinsign --config F setup}: create or upgrade the store's schema. */
@Command(name = "setup", description = {
    "Create the store's schema in the configured database, or upgrade it to this release.",
    "An existing store keeps its data; changing its mode (--simulation) wipes it and needs --force."})
final class SetupCommand implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @CommandLine.ParentCommand
  TwinsignCommand parent;

  @Option(names = "--simulation",
      description = "A store whose enforcer clock only 'time leap' moves (for tests and rehearsals).")
  boolean simulation;

  @Option(names = "--force", description = "Allow wiping an existing store.")
  boolean force;

  @Option(names = "--start", paramLabel = "TIME",
      description = "Where a new simulation store's clock starts (UTC, e.g. 2025-01-01T00:00:00Z; default: now).")
  String start;

  @Override
  public void run() {
    java.time.Instant startAt = null;
    if (start != null) {
      if (!simulation) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--start goes with --simulation");
      }
      try {
        startAt = java.time.Instant.parse(start);
      } catch (java.time.format.DateTimeParseException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--start " + start
            + ": not a UTC time like 2025-01-01T00:00:00Z");
      }
    }
    try (Store store = Store.open(parent.config())) {
      spec.commandLine().getOut().println(
          store.setup(simulation ? Store.Mode.SIMULATION : Store.Mode.PRODUCTION, force, startAt));
    }
  }
}
