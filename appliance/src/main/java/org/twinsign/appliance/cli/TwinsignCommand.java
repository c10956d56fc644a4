package org.twinsign.appliance.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code twinsign} operator CLI. Each subcommand is its own class; they act on the appliance
 * through its service layer so that a later release can route them through the active master.
 */
@Command(
    name = "twinsign",
    mixinStandardHelpOptions = true,
    versionProvider = VersionCommand.Provider.class,
    description = "DNSSEC signer appliance for a master/standby pair.",
    subcommands = {VersionCommand.class, HsmCommand.class, SignCommand.class, DemoCommand.class,
        CommandLine.HelpCommand.class})
public final class TwinsignCommand implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** The configured command line; {@code execute} returns 0 on success, 1 on failure, 2 on bad usage. */
  public static CommandLine commandLine() {
    CommandLine commandLine = new CommandLine(new TwinsignCommand());
    commandLine.setExecutionExceptionHandler(new ErrorReporter());
    return commandLine;
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }
}
