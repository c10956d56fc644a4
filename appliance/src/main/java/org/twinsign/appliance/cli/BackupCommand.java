package org.twinsign.appliance.cli;

import java.util.List;
import java.util.function.BiFunction;
import org.twinsign.appliance.service.Services;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code twinsign backup prepare|commit|rollback|list [--repository R]}: OpenDNSSEC's two-step key
 * backup around the HSM's own backup.
 */
@Command(name = "backup", description = "Key backups: prepare, back up the HSM, commit (or rollback).",
    subcommands = {BackupCommand.Prepare.class, BackupCommand.Commit.class, BackupCommand.Rollback.class,
        BackupCommand.ListBackups.class})
final class BackupCommand implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @CommandLine.ParentCommand
  TwinsignCommand parent;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** The common part: a repository option and one service call. */
  abstract static class Step implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.ParentCommand
    BackupCommand backup;

    @Option(names = "--repository", paramLabel = "NAME", description = "One repository (default: all).")
    String repository;

    abstract BiFunction<Services, String, List<String>> step();

    @Override
    public void run() {
      try (Services services = Services.open(backup.parent.config())) {
        step().apply(services, repository).forEach(spec.commandLine().getOut()::println);
      }
    }
  }

  @Command(name = "prepare", description = "Fix the keys the coming HSM backup holds.")
  static final class Prepare extends Step {
    @Override
    BiFunction<Services, String, List<String>> step() {
      return (services, repository) -> services.backups().prepare(repository);
    }
  }

  @Command(name = "commit", description = "The HSM backup is done: the prepared keys are backed up.")
  static final class Commit extends Step {
    @Override
    BiFunction<Services, String, List<String>> step() {
      return (services, repository) -> services.backups().commit(repository);
    }
  }

  @Command(name = "rollback", description = "The HSM backup failed: the prepared keys are unbacked again.")
  static final class Rollback extends Step {
    @Override
    BiFunction<Services, String, List<String>> step() {
      return (services, repository) -> services.backups().rollback(repository);
    }
  }

  @Command(name = "list", description = "Per repository: keys by backup state, last backup, keys not backed up.")
  static final class ListBackups extends Step {
    @Override
    BiFunction<Services, String, List<String>> step() {
      return (services, repository) -> services.backups().list(repository);
    }
  }
}
