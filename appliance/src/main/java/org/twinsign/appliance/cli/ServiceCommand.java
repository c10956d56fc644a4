package org.twinsign.appliance.cli;

import java.io.PrintWriter;
import org.twinsign.appliance.service.Services;
import picocli.CommandLine;

/**
 * A command that acts on the store: it opens the service layer with the node configuration of
 * the root command ({@code --config} / {@code TWINSIGN_CONFIG}), runs, and closes it.
 */
abstract class ServiceCommand implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  /** The command's work; what it prints to {@code out} is the operator's answer. */
  abstract void run(Services services, PrintWriter out);

  /** Checks the options before anything is opened; throws a ParameterException on bad usage. */
  void check() {}

  @Override
  public void run() {
    check();
    TwinsignCommand root = (TwinsignCommand) spec.root().userObject();
    PrintWriter out = spec.commandLine().getOut();
    try (Services services = Services.open(root.config())) {
      run(services, out);
    } finally {
      out.flush(); // print() does not flush, and the JVM does not flush a PrintWriter at exit
    }
  }
}
