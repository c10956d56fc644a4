package org.twinsign.appliance.cli;

import java.io.PrintWriter;
import org.twinsign.appliance.service.Services;
import picocli.CommandLine;

/**
 * A command that acts on the store: it opens the service layer with the node configuration of
 * the root command ({@code --config} / {@code TWINSIGN_CONFIG}), runs, and closes it.
 */
abstract class ServiceCommand implements Runnable, Routed {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  /** The command's work; what it prints to {@code out} is the operator's answer. */
  abstract void run(Services services, PrintWriter out);

  /** The DNS side of the node daemon running this command, or null (no daemon, or no {@code dns.listen}). */
  org.twinsign.appliance.dns.DnsOperations dns() {
    TwinsignCommand root = (TwinsignCommand) spec.root().userObject();
    return root.node == null ? null : root.node.dns();
  }

  /** Checks the options before anything is opened; throws a ParameterException on bad usage. */
  void check() {}

  /**
   * Whether the command writes state (or acts outside: HSM, files, hooks). In a pair, such a
   * command runs on the master; one that only reads answers from any node.
   */
  public boolean changesState() {
    return true;
  }

  @Override
  public void run() {
    check();
    TwinsignCommand root = (TwinsignCommand) spec.root().userObject();
    PrintWriter out = spec.commandLine().getOut();
    try {
      if (root.node != null) { // inside a node daemon, for an operator
        run(root.node.services(changesState()), out);
        return;
      }
      org.twinsign.appliance.config.TwinsignConfig config = root.config();
      if (config.nodeMode() == org.twinsign.appliance.config.TwinsignConfig.NodeMode.PAIR) {
        AdminClient.forConfig(config).execute(root.arguments(), spec.commandLine());
        return;
      }
      try (Services services = Services.open(config)) {
        run(services, out);
      }
    } finally {
      out.flush(); // print() does not flush, and the JVM does not flush a PrintWriter at exit
    }
  }
}
