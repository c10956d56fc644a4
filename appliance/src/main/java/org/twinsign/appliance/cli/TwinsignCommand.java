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
    // every subcommand gets --help (and --version): an operator explores before using
    scope = CommandLine.ScopeType.INHERIT,
    versionProvider = VersionCommand.Provider.class,
    description = "DNSSEC signer appliance for a master/standby pair.",
    subcommands = {VersionCommand.class, SetupCommand.class, PolicyCommand.class, ZoneCommand.class,
        ZonelistCommand.class, KeyCommand.class, BackupCommand.class, RolloverCommand.class, EnforceCommand.class,
        TimeCommand.class, HsmCommand.class, KekCommand.class, SignCommand.class, NodeCommand.class,
        ClusterCommand.class, AlertCommand.class, CheckCommand.class, RunbookJournalCommand.class,
        DemoCommand.class, CommandLine.HelpCommand.class})
public final class TwinsignCommand implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @CommandLine.Option(names = "--config", paramLabel = "FILE",
      description = "Node configuration (database, key repositories); default: $TWINSIGN_CONFIG.")
  java.nio.file.Path configFile;

  /** Set when a node daemon executes the command for an operator; null in the CLI process. */
  NodeContext node;

  /** The arguments as given, without {@code --config}: what a node executes for this CLI. */
  java.util.List<String> arguments() {
    java.util.List<String> args = new java.util.ArrayList<>(spec.commandLine().getParseResult().originalArgs());
    for (int i = 0; i < args.size(); i++) {
      if (args.get(i).equals("--config") && i + 1 < args.size()) {
        args.remove(i + 1);
        args.remove(i);
        i--;
      } else if (args.get(i).startsWith("--config=")) {
        args.remove(i);
        i--;
      }
    }
    return args;
  }

  /** The command line a node daemon uses to execute an operator's command with its own services. */
  public static CommandLine inNode(NodeContext context) {
    TwinsignCommand root = new TwinsignCommand();
    root.node = context;
    CommandLine commandLine = new CommandLine(root);
    commandLine.setExecutionExceptionHandler(new ErrorReporter());
    return pluginUsage(commandLine);
  }

  /**
   * Whether {@code args} name a command that changes state (so that a pair runs it on the master).
   *
   * @throws CommandLine.ParameterException for arguments that do not parse
   */
  public static boolean changesState(java.util.List<String> args) {
    CommandLine.ParseResult parsed = new CommandLine(new TwinsignCommand()).parseArgs(args.toArray(String[]::new));
    while (parsed.hasSubcommand()) {
      parsed = parsed.subcommand();
    }
    Object leaf = parsed.commandSpec().userObject();
    return leaf instanceof Routed routed && routed.changesState();
  }

  /** The node configuration ({@code --config} or {@code TWINSIGN_CONFIG}), for the commands that need it. */
  public org.twinsign.appliance.config.TwinsignConfig config() {
    java.nio.file.Path file = configFile;
    if (file == null) {
      String env = System.getenv("TWINSIGN_CONFIG");
      if (env == null || env.isBlank()) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "this command needs the node configuration: give --config FILE before the command, or set TWINSIGN_CONFIG");
      }
      file = java.nio.file.Path.of(env);
    }
    return org.twinsign.appliance.config.TwinsignConfig.load(file);
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** The configured command line; {@code execute} returns 0 on success, 1 on failure, 2 on bad usage. */
  public static CommandLine commandLine() {
    CommandLine commandLine = new CommandLine(new TwinsignCommand());
    for (CliPlugin plugin : java.util.ServiceLoader.load(CliPlugin.class)) {
      plugin.commands().forEach(commandLine::addSubcommand);
    }
    commandLine.setExecutionExceptionHandler(new ErrorReporter());
    return pluginUsage(commandLine);
  }

  /** A monitoring plugin's usage error is UNKNOWN on one line ({@code check}), any other as picocli says it. */
  private static CommandLine pluginUsage(CommandLine commandLine) {
    CommandLine.IParameterExceptionHandler standard = commandLine.getParameterExceptionHandler();
    commandLine.setParameterExceptionHandler((e, args) -> CheckCommand.isPlugin(e.getCommandLine())
        ? CheckCommand.unknown(e) : standard.handleParseException(e, args));
    return commandLine;
  }

  public static void main(String[] args) {
    CommandLine commandLine = commandLine();
    int exit = commandLine.execute(args);
    commandLine.getOut().flush();
    commandLine.getErr().flush();
    System.exit(exit);
  }
}
