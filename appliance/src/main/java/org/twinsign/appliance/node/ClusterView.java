package org.twinsign.appliance.node;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.twinsign.appliance.cli.ClusterOperations;
import org.twinsign.fencing.ClusterMembers;
import org.twinsign.fencing.EpochRecord;
import org.twinsign.fencing.Eligibility;
import org.twinsign.fencing.FailoverSwitch;
import org.twinsign.fencing.HaLoop;
import org.twinsign.fencing.Leadership;

/** The cluster commands carried out by one node: what ZooKeeper holds, and the switches. */
final class ClusterView implements ClusterOperations {
  /** How long a switchover waits for the standby to be in sync and then to take over. */
  static final Duration SWITCHOVER_WAIT = Duration.ofSeconds(30);

  private final String node;
  private final ClusterMembers members;
  private final Leadership leadership;
  private final FailoverSwitch failover;
  private final Eligibility eligibility;
  private final HaLoop loop;

  ClusterView(String node, ClusterMembers members, Leadership leadership, FailoverSwitch failover,
      Eligibility eligibility, HaLoop loop) {
    this.node = node;
    this.members = members;
    this.leadership = leadership;
    this.failover = failover;
    this.eligibility = eligibility;
    this.loop = loop;
  }

  @Override
  public String node() {
    return node;
  }

  @Override
  public String role() {
    return leadership.isMaster() ? "master" : "standby";
  }

  @Override
  public List<Map<String, String>> members() throws Exception {
    Eligibility.Mark mark = eligibility.read();
    Map<String, java.time.Duration> clocks = members.clockOffsets();
    List<Map<String, String>> rows = new ArrayList<>();
    for (Map.Entry<String, Map<String, String>> m : members.list().entrySet()) {
      Map<String, String> row = new LinkedHashMap<>();
      row.put("node", m.getKey());
      Map<String, String> info = m.getValue();
      row.put("role", info.getOrDefault("role", "?"));
      row.put("epoch", info.getOrDefault("epoch", ""));
      row.put("eligible", "master".equals(info.get("role")) ? "-" : mark.eligible(m.getKey()) ? "yes" : "no");
      row.put("database", info.getOrDefault("database", ""));
      row.put("lag", info.getOrDefault("lag", ""));
      row.put("state", info.getOrDefault("state", ""));
      row.put("admin", info.getOrDefault("admin", ""));
      row.put("pid", info.getOrDefault("pid", ""));
      row.put("last_contact", info.getOrDefault("seen", ""));
      if (clocks.containsKey(m.getKey())) { // the node's clock against ZooKeeper's ('timing-drift', 'health')
        row.put("clock", clocks.get(m.getKey()).toMillis() + " ms");
      }
      for (String key : List.of("gtid", "keysync", "keys", "kek", "ingest", "dns", "database clock")) {
        if (info.containsKey(key)) {
          row.put(key, info.get(key));
        }
      }
      rows.add(row);
    }
    return rows;
  }

  @Override
  public Map<String, String> self() throws Exception {
    Map<String, String> row = new LinkedHashMap<>();
    row.put("node", node);
    row.put("role", role());
    Map<String, String> info = members.list().get(node);
    if (info != null) {
      info.forEach(row::putIfAbsent);
    }
    Eligibility.Mark mark = eligibility.read();
    row.put("eligible", leadership.isMaster() ? "-" : mark.eligible(node) ? "yes" : "no (" + mark.reason() + ")");
    return row;
  }

  @Override
  public Map<String, String> summary() throws Exception {
    Map<String, String> s = new LinkedHashMap<>();
    EpochRecord epoch = leadership.currentEpoch();
    s.put("epoch", epoch.epoch() + (epoch.node().isEmpty() ? "" : " (node " + epoch.node() + ", " + epoch.at() + ")"));
    Eligibility.Mark mark = eligibility.read();
    s.put("eligible standby", mark.node().isEmpty() ? "none (" + mark.reason() + ")" : mark.node());
    Optional<FailoverSwitch.Off> off = failover.off();
    s.put("automatic failover", off.map(o -> o.kind() + ": " + o.reason() + " (since " + o.at() + ")").orElse("on"));
    failover.handover().ifPresent(h -> s.put("hand-over", "to " + h.target() + " (" + h.reason() + ", " + h.at()
        + ")"));
    return s;
  }

  @Override
  public List<Map<String, String>> history() throws Exception {
    List<Map<String, String>> rows = new ArrayList<>();
    for (EpochRecord r : leadership.epochs().history()) {
      Map<String, String> row = new LinkedHashMap<>();
      row.put("epoch", Long.toString(r.epoch()));
      row.put("node", r.node());
      row.put("at", r.at().toString());
      row.put("reason", r.reason());
      rows.add(row);
    }
    return rows;
  }

  @Override
  public void pause(String reason) throws Exception {
    failover.pause(reason);
  }

  @Override
  public void resume() throws Exception {
    failover.resume();
    loop.wake();
  }

  @Override
  public String switchover(String to) throws Exception {
    if (!leadership.isMaster()) {
      throw new IllegalStateException("node " + node + " is not master: a switchover runs on the master");
    }
    String target = to != null ? to : members.list().keySet().stream().filter(n -> !n.equals(node)).findFirst()
        .orElseThrow(() -> new IllegalStateException("no standby is running to hand over to"));
    if (target.equals(node)) {
      throw new IllegalStateException("node " + node + " is already master");
    }
    if (!members.list().containsKey(target)) {
      throw new IllegalStateException("node " + target + " is not running (see 'cluster list')");
    }
    refuseWrongClock(target);
    long deadline = System.nanoTime() + SWITCHOVER_WAIT.toNanos();
    while (!eligibility.read().eligible(target)) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("node " + target + " did not get in sync within " + SWITCHOVER_WAIT.toSeconds()
            + " s (" + eligibility.read().reason() + "): no switchover; nothing changed");
      }
      Thread.sleep(100);
    }
    long epoch = leadership.lease().epoch().getAsLong();
    failover.handOver(target, false, true, "switchover from node " + node);
    leadership.stepDown("switchover to node " + target);
    deadline = System.nanoTime() + SWITCHOVER_WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      EpochRecord now = leadership.currentEpoch();
      if (now.epoch() > epoch) {
        return "switched over: node " + now.node() + " is master with epoch " + now.epoch();
      }
      Thread.sleep(100);
    }
    return "handed over to node " + target + ", which has not taken an epoch yet; see 'cluster list'";
  }

  /** A node whose clock is beyond clock.bound does not act as master, so it is not handed the role (--force or not). */
  private void refuseWrongClock(String target) throws Exception {
    java.util.Optional<String> off = loop.clockProblem(target);
    if (off.isPresent()) {
      throw new IllegalStateException("node " + target + "'s clock " + off.get() + ": it would refuse to act as"
          + " master; fix its time service first (runbook timing-drift), or set clock.bound=PT0S on both nodes");
    }
  }

  @Override
  public String failover(String to, boolean force) throws Exception {
    if (!members.list().containsKey(to)) {
      throw new IllegalStateException("node " + to + " is not running (see 'cluster list')");
    }
    refuseWrongClock(to);
    if (!force && !eligibility.read().eligible(to)) {
      throw new IllegalStateException("node " + to + " is not in sync with the master (" + eligibility.read().reason()
          + "): promoting it could lose acknowledged writes; --force to take over anyway");
    }
    failover.handOver(to, force, false, "failover by an operator" + (force ? " (forced)" : ""));
    if (leadership.isMaster() && !to.equals(node)) {
      leadership.stepDown("failover to node " + to + " by an operator");
    }
    loop.wake();
    return "node " + to + " takes over once it holds the leader latch; 'cluster list' shows when";
  }
}
