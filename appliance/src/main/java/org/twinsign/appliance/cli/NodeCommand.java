package org.twinsign.appliance.cli;

import java.util.concurrent.CountDownLatch;
import org.twinsign.appliance.node.NodeDaemon;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code twinsign node ...}: the node daemon of a pair. */
@Command(name = "node", description = "The node daemon of a signer pair.", subcommands = {NodeCommand.Run.class,
    NodeCommand.Rebuild.class, NodeCommand.Status.class})
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

  @Command(name = "rebuild", description = {"Rebuild this node as a standby from the master.",
      "Its database becomes a clone of the master's, replicating it (for a node refused because its database",
      "has transactions the master lacks, or a new node); with keysync=wrap its HSM gets every key the store",
      "knows from the wrapped copies (keys the store does not know are removed; --empty-token: all, first).",
      "Run it with the node stopped; then start the node: it takes the master's signed zones and becomes",
      "eligible. An interrupted rebuild is run again: it goes on where it stopped."})
  static final class Rebuild implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Option(names = "--empty-token", description = "Remove every key pair from this node's HSMs first"
        + " (the KEK stays), for a token whose content is not trusted.")
    boolean emptyToken;

    @Override
    public void run() {
      TwinsignCommand root = (TwinsignCommand) spec.root().userObject();
      if (root.node != null) {
        throw new IllegalStateException("'node rebuild' runs with the node stopped, not through it");
      }
      try {
        spec.commandLine().getOut().println(NodeDaemon.rebuild(root.config(), emptyToken));
      } catch (Exception e) {
        throw unchecked(e);
      } finally {
        spec.commandLine().getOut().flush();
      }
    }
  }

  @Command(name = "status", description = {"This node as the pair sees it: role, database, replication and keys.",
      "GTID positions, lag, semi-sync, keys pending sync, the KEK's check value, the master's output ingested."})
  static final class Status extends ClusterCommand.OnCluster {
    @CommandLine.Option(names = "--json", description = "As JSON.")
    boolean json;

    @Override
    void run(ClusterOperations cluster, java.io.PrintWriter out) throws Exception {
      java.util.Map<String, String> self = cluster.self();
      if (json) {
        JsonOutput.print(out, self);
        return;
      }
      self.forEach((k, v) -> out.printf("%-14s %s%n", k + ":", v));
    }
  }
}
