package org.twinsign.procedures;

import java.util.List;
import org.twinsign.appliance.cli.CliPlugin;
import org.twinsign.procedures.health.HealthCommand;

/** Adds {@code health} (and the runbooks) to the {@code twinsign} CLI. */
public final class ProceduresCli implements CliPlugin {
  @Override
  public List<Object> commands() {
    return List.of(new HealthCommand(), new org.twinsign.procedures.runbook.RunbookCommand());
  }
}
