package org.twinsign.appliance.cli;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * Turns an exception from a command into one clear line on stderr and exit code 1. The stack
 * trace goes to the log at DEBUG only: operators get the message, developers can get the rest.
 */
final class ErrorReporter implements CommandLine.IExecutionExceptionHandler {
  private static final Logger LOG = LoggerFactory.getLogger(ErrorReporter.class);

  @Override
  public int handleExecutionException(Exception e, CommandLine commandLine, CommandLine.ParseResult parseResult) {
    if (e instanceof RemoteExit remote) {
      return remote.code(); // the node said why; nothing to add
    }
    String message = e.getMessage() == null ? e.toString() : e.getMessage();
    commandLine.getErr().println(commandLine.getCommandSpec().qualifiedName() + ": error: " + message);
    LOG.debug("command failed", e);
    return 1;
  }
}
