package org.twinsign.appliance.node;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import org.twinsign.appliance.cli.AdminClient;
import org.twinsign.appliance.cli.ClusterOperations;
import org.twinsign.appliance.cli.NodeContext;
import org.twinsign.appliance.cli.TwinsignCommand;
import org.twinsign.appliance.config.TwinsignConfig;
import org.twinsign.appliance.service.Services;
import org.twinsign.fencing.EpochLease;
import picocli.CommandLine;

/**
 * Operators' commands as a node executes them: a command that changes state runs here if this
 * node is master and is forwarded to the master otherwise; a read-only command answers here, from
 * this node's database, saying which node and role answered.
 */
final class AdminCommands implements NodeContext {
  private final TwinsignConfig config;
  private final MasterDuties duties;
  private final ClusterView cluster;
  private final String token;
  private Services readOnly;

  AdminCommands(TwinsignConfig config, MasterDuties duties, ClusterView cluster, String token) {
    this.config = config;
    this.duties = duties;
    this.cluster = cluster;
    this.token = token;
  }

  /**
   * Executes {@code args} here or on the master; {@code forwarded} when another node sent it
   * here as the master (it is never forwarded again).
   */
  AdminClient.Answer execute(List<String> args, boolean forwarded) {
    boolean writes;
    try {
      writes = TwinsignCommand.changesState(args);
    } catch (CommandLine.ParameterException e) {
      writes = false; // a usage error: let the command line here say what is wrong
    }
    if (writes && !forwarded && !"master".equals(cluster.role())) {
      return forward(args);
    }
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine commandLine = TwinsignCommand.inNode(this);
    commandLine.setOut(new PrintWriter(out, true));
    commandLine.setErr(new PrintWriter(err, true));
    int exit = commandLine.execute(args.toArray(String[]::new));
    return new AdminClient.Answer(exit, out.toString(), err.toString(), cluster.node(), cluster.role());
  }

  private AdminClient.Answer forward(List<String> args) {
    String master;
    try {
      // never to this node itself: its own registration may still say master for a moment
      master = cluster.members().stream().filter(m -> "master".equals(m.get("role"))
          && !cluster.node().equals(m.get("node"))).map(m -> m.get("admin")).findFirst().orElse(null);
    } catch (Exception e) {
      master = null;
    }
    if (master == null) {
      return new AdminClient.Answer(1, "", "error: no node is master now, so nothing can change state; 'cluster"
          + " list' says why\n", cluster.node(), cluster.role());
    }
    return new AdminClient("" + master, token, "the master's admin address in ZooKeeper").forwarded().call(args);
  }

  @Override
  public synchronized Services services(boolean changesState) {
    if (changesState) {
      Services master = duties.services();
      // a new master's term opens its services a moment after the epoch: wait for them briefly
      for (int i = 0; master == null && i < 100 && "master".equals(cluster.role()); i++) {
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
        master = duties.services();
      }
      if (master == null) {
        throw new IllegalStateException("node " + cluster.node() + " is not master (anymore): nothing was changed;"
            + " run the command again");
      }
      return master;
    }
    if (readOnly == null) {
      // reads only: a lease that never allows a master action
      EpochLease none = new EpochLease(1);
      none.revoke("node " + cluster.node() + " answers read-only commands with this lease");
      readOnly = Services.open(config, none);
      if (keys != null) {
        readOnly.gateKeysWith(keys); // 'rollover list' here says what a key waits for, as the master does
      }
    }
    return readOnly;
  }

  @Override
  public ClusterOperations cluster() {
    return cluster;
  }

  private volatile org.twinsign.appliance.dns.DnsOperations dns;

  /** The node's DNS side, once it runs. */
  void useDns(org.twinsign.appliance.dns.DnsOperations dns) {
    this.dns = dns;
  }

  @Override
  public org.twinsign.appliance.dns.DnsOperations dns() {
    return dns;
  }

  private volatile PairKeys keys;

  /** The node's key sync and KEK ceremony, once they run. */
  void useKeys(PairKeys keys) {
    this.keys = keys;
  }

  @Override
  public org.twinsign.appliance.cli.KekOperations kek() {
    if (keys == null) {
      throw new IllegalStateException("node " + cluster.node() + " is still starting: run the command again");
    }
    return keys;
  }

  /** A request of the peer node ({@code POST /v1/peer/OP}): key sync's lookups and the KEK ceremony. */
  Map<String, Object> peer(String op, com.fasterxml.jackson.databind.JsonNode body) {
    if (keys == null) {
      throw new IllegalStateException("node " + cluster.node() + " is still starting");
    }
    return keys.handle(op, body);
  }

  synchronized void close() {
    if (readOnly != null) {
      readOnly.close();
      readOnly = null;
    }
  }

  /** For the record, what the endpoint answers about itself. */
  Map<String, String> whoAmI() {
    return Map.of("node", cluster.node(), "role", cluster.role());
  }
}
