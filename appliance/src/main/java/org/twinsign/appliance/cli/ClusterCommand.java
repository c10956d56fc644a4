package org.twinsign.appliance.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code twinsign cluster ...}: the pair as Patroni's {@code patronictl} shows and steers it. */
@Command(name = "cluster", description = "The signer pair: nodes, roles, epochs, failover.",
    subcommands = {ClusterCommand.ListNodes.class, ClusterCommand.History.class, ClusterCommand.Switchover.class,
        ClusterCommand.Failover.class, ClusterCommand.Pause.class, ClusterCommand.Resume.class})
final class ClusterCommand extends CommandGroup {

  /** A cluster command: it runs in a node daemon (the CLI sends it to its node's admin endpoint). */
  abstract static class OnCluster implements Runnable, Routed {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    abstract void run(ClusterOperations cluster, PrintWriter out) throws Exception;

    /** Only a switchover runs on the master; the others work from any node. */
    @Override
    public boolean changesState() {
      return false;
    }

    @Override
    public void run() {
      TwinsignCommand root = (TwinsignCommand) spec.root().userObject();
      PrintWriter out = spec.commandLine().getOut();
      try {
        if (root.node == null) {
          org.twinsign.appliance.config.TwinsignConfig config = root.config();
          if (config.pair() == null) {
            throw new IllegalStateException("'cluster' commands are for a pair: " + config.source()
                + " has node.mode=single");
          }
          AdminClient.forConfig(config).execute(root.arguments(), spec.commandLine());
          return;
        }
        run(root.node.cluster(), out);
      } catch (Exception e) {
        throw NodeCommand.unchecked(e);
      } finally {
        out.flush();
      }
    }
  }

  @Command(name = "list", description = "Nodes with role, state, epoch, eligibility, database and last contact.")
  static final class ListNodes extends OnCluster {
    @Option(names = "--json", description = "As JSON.")
    boolean json;

    @Override
    void run(ClusterOperations cluster, PrintWriter out) throws Exception {
      List<Map<String, String>> members = cluster.members();
      Map<String, String> summary = cluster.summary();
      if (json) {
        JsonOutput.print(out, Map.of("cluster", summary, "nodes", members));
        return;
      }
      summary.forEach((k, v) -> out.println(k + ": " + v));
      String format = "%-12s %-8s %-6s %-9s %-30s %-8s %s%n";
      out.printf(format, "Node:", "Role:", "Epoch:", "Eligible:", "Database:", "Lag:", "State:");
      for (Map<String, String> m : members) {
        out.printf(format, m.get("node"), m.get("role"), m.getOrDefault("epoch", ""), m.getOrDefault("eligible", ""),
            m.getOrDefault("database", ""), m.getOrDefault("lag", ""), m.getOrDefault("state", ""));
      }
      for (Map<String, String> m : members) {
        if (m.containsKey("keys") || m.containsKey("kek") || m.containsKey("gtid")) {
          out.println(m.get("node") + ": GTID " + m.getOrDefault("gtid", "?") + "; keys (keysync="
              + m.getOrDefault("keysync", "?") + "): " + m.getOrDefault("keys", "?") + "; KEK " + m.getOrDefault("kek",
                  "?") + (m.containsKey("ingest") ? "; master's output: " + m.get("ingest") : ""));
        }
      }
    }
  }

  @Command(name = "history", description = "Every fencing epoch: which node became master, when and why.")
  static final class History extends OnCluster {
    @Option(names = "--json", description = "As JSON.")
    boolean json;

    @Override
    void run(ClusterOperations cluster, PrintWriter out) throws Exception {
      List<Map<String, String>> history = cluster.history();
      if (json) {
        JsonOutput.print(out, history);
        return;
      }
      out.printf("%-6s %-12s %-25s %s%n", "Epoch:", "Node:", "Time:", "Reason:");
      for (Map<String, String> h : history) {
        out.printf("%-6s %-12s %-25s %s%n", h.get("epoch"), h.get("node"), h.get("at"), h.get("reason"));
      }
    }
  }

  @Command(name = "switchover", description = {"Planned hand-over to the standby: it catches up first, nothing is"
      + " lost.", "Runs on the master."})
  static final class Switchover extends OnCluster {
    @Option(names = "--to", paramLabel = "NODE", description = "The node to hand over to (default: the standby).")
    String to;

    @Override
    public boolean changesState() {
      return true;
    }

    @Override
    void run(ClusterOperations cluster, PrintWriter out) throws Exception {
      out.println(cluster.switchover(to));
    }
  }

  @Command(name = "failover", description = {"Unplanned, by hand: NODE fences the master and takes over.",
      "Refused unless NODE is in sync with the master; --force takes over anyway (acknowledged writes may be lost)."})
  static final class Failover extends OnCluster {
    @Option(names = "--to", required = true, paramLabel = "NODE")
    String to;

    @Option(names = "--force", description = "Take over even when NODE is not in sync.")
    boolean force;

    @Override
    void run(ClusterOperations cluster, PrintWriter out) throws Exception {
      out.println(cluster.failover(to, force));
    }
  }

  @Command(name = "pause", description = "Turn automatic failover off (maintenance).")
  static final class Pause extends OnCluster {
    @Option(names = "--reason", paramLabel = "TEXT", description = "Shown by 'cluster list'.")
    String reason = "paused by an operator";

    @Override
    void run(ClusterOperations cluster, PrintWriter out) throws Exception {
      cluster.pause(reason);
      out.println("automatic failover is paused: " + reason + "; 'cluster resume' turns it on");
    }
  }

  @Command(name = "resume", description = "Turn automatic failover on again (also after a failed failover).")
  static final class Resume extends OnCluster {
    @Override
    void run(ClusterOperations cluster, PrintWriter out) throws Exception {
      cluster.resume();
      out.println("automatic failover is on");
    }
  }
}
