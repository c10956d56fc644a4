package org.twinsign.appliance.cli;

import java.util.concurrent.CountDownLatch;
import org.twinsign.appliance.node.NodeDaemon;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code twinsign node ...}: the node daemon of a pair. */
@Command(name = "node", description = "The node daemon of a signer pair.", subcommands = {NodeCommand.Run.class,
    NodeCommand.Rebuild.class})
final class NodeCommand extends CommandGroup {

  /** A checked failure as one the error reporter prints with its message. */
  static RuntimeException unchecked(Exception e) {
    return e instanceof RuntimeException r ? r
        : new IllegalStateException(e.getMessage() == null ? e.toString() : e.getMessage(), e);
  }

  @Command(name = "run", description = {"Run this node of the pair until stopped (SIGTERM).",
      "Logs to stderr; the HA loop decides whether it is master or standby."})
  static final class Run implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
      TwinsignCommand root = (TwinsignCommand) spec.root().userObject();
      if (root.node != null) {
        throw new IllegalStateException("'node run' is not a command for a running node");
      }
      CountDownLatch stopped = new CountDownLatch(1);
      NodeDaemon daemon;
      try {
        daemon = NodeDaemon.start(root.config());
      } catch (Exception e) {
        throw unchecked(e);
      }
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        daemon.close();
        stopped.countDown();
      }, "node-stop"));
      spec.commandLine().getOut().println("node runs; admin endpoint on port " + daemon.adminPort());
      spec.commandLine().getOut().flush();
      try {
        stopped.await();
      } catch (InterruptedException e) {
        daemon.close();
      }
    }
  }

  @Command(name = "rebuild", description = {"Replace this node's database with a clone of the master's.",
      "It becomes a replica again: for a node refused because its database has transactions the master",
      "lacks. Run it with the node stopped; then start the node again. An interrupted rebuild is run again."})
  static final class Rebuild implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
      TwinsignCommand root = (TwinsignCommand) spec.root().userObject();
      if (root.node != null) {
        throw new IllegalStateException("'node rebuild' runs with the node stopped, not through it");
      }
      try {
        spec.commandLine().getOut().println(NodeDaemon.rebuild(root.config()));
      } catch (Exception e) {
        throw unchecked(e);
      } finally {
        spec.commandLine().getOut().flush();
      }
    }
  }
}
