package org.twinsign.appliance.cli;

import java.io.PrintWriter;
import java.util.List;
import org.twinsign.appliance.service.BackupService;
import org.twinsign.appliance.service.Services;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code twinsign backup prepare|commit|rollback|list [--repository R]}: OpenDNSSEC's two-step key
 * backup around the HSM's own backup.
 */
@Command(name = "backup", description = "Key backups: prepare, back up the HSM, commit (or rollback).",
    subcommands = {BackupCommand.Prepare.class, BackupCommand.Commit.class, BackupCommand.Rollback.class,
        BackupCommand.ListBackups.class})
final class BackupCommand extends CommandGroup {

  /** The common part: a repository option and one service call. */
  abstract static class Step extends ServiceCommand {
    @Option(names = "--repository", paramLabel = "NAME", description = "One repository (default: all).")
    String repository;

    abstract List<String> step(BackupService backups, String repository);

    @Override
    void run(Services services, PrintWriter out) {
      step(services.backups(), repository).forEach(out::println);
    }
  }

  @Command(name = "prepare", description = "Fix the keys the coming HSM backup holds.")
  static final class Prepare extends Step {
    @Override
    List<String> step(BackupService backups, String repository) {
      return backups.prepare(repository);
    }
  }

  @Command(name = "commit", description = "The HSM backup is done: the prepared keys are backed up.")
  static final class Commit extends Step {
    @Override
    List<String> step(BackupService backups, String repository) {
      return backups.commit(repository);
    }
  }

  @Command(name = "rollback", description = "The HSM backup failed: the prepared keys are unbacked again.")
  static final class Rollback extends Step {
    @Override
    List<String> step(BackupService backups, String repository) {
      return backups.rollback(repository);
    }
  }

  @Command(name = "list", description = {"Per repository: keys by backup state, last backup, oldest key not backed up.",
      "--verbose lists every key not backed up."})
  static final class ListBackups extends Step {
    @Override
    public boolean changesState() {
      return false;
    }

    @Option(names = {"--verbose", "-v"}, description = "List every key not backed up.")
    boolean verbose;

    @Option(names = "--json", description = "As JSON: each repository's last and open backup, every key's state.")
    boolean json;

    @Override
    void run(Services services, PrintWriter out) {
      if (json) {
        JsonOutput.print(out, services.backups().status(repository));
      } else {
        super.run(services, out);
      }
    }

    @Override
    List<String> step(BackupService backups, String repository) {
      return backups.list(repository, verbose);
    }
  }
}
