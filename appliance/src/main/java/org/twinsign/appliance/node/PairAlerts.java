package org.twinsign.appliance.node;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.twinsign.appliance.alert.AlertKind;
import org.twinsign.appliance.alert.AlertSource;
import org.twinsign.appliance.alert.Condition;
import org.twinsign.appliance.alert.Severity;
import org.twinsign.appliance.service.Services;
import org.twinsign.fencing.ClusterMembers;
import org.twinsign.fencing.Eligibility;
import org.twinsign.fencing.EpochRecord;
import org.twinsign.fencing.FailoverSwitch;
import org.twinsign.fencing.Leadership;

/**
 * The pair's alerts, as the master sees the pair in ZooKeeper: a failover or switchover that made
 * it master, the fence that came with it, automatic failover paused or blocked, the standby's
 * replication broken or lagging, and a standby that is not eligible (the pair would not survive
 * the master's loss).
 */
final class PairAlerts implements AlertSource {
  /** How long a standby must stay not eligible before it is an alert: a term's start and a catch-up take seconds. */
  static final Duration NOT_ELIGIBLE_GRACE = Duration.ofSeconds(5);
  /** A node's clock further from ZooKeeper's than this is an alert: RRSIG inception offsets are minutes, TTLs seconds. */
  static final Duration DRIFT_BOUND = Duration.ofSeconds(2);
  /** Replication further behind than this is an alert. */
  static final long LAG_SECONDS = 60;

  private final String node;
  private final String peer;
  private final Leadership leadership;
  private final ClusterMembers members;
  private final Eligibility eligibility;
  private final FailoverSwitch failover;
  private final PairNode pairNode;
  private final org.twinsign.appliance.alert.Grace grace = new org.twinsign.appliance.alert.Grace(NOT_ELIGIBLE_GRACE);
  // one sample of a slow ZooKeeper write (a GC pause, an fsync) is not a wrong clock: two looks apart
  private final org.twinsign.appliance.alert.Grace drifting = new org.twinsign.appliance.alert.Grace(
      Duration.ofSeconds(4));

  PairAlerts(String node, String peer, Leadership leadership, ClusterMembers members, Eligibility eligibility,
      FailoverSwitch failover, PairNode pairNode) {
    this.node = node;
    this.peer = peer;
    this.leadership = leadership;
    this.members = members;
    this.eligibility = eligibility;
    this.failover = failover;
    this.pairNode = pairNode;
  }

  @Override
  public Set<AlertKind> kinds() {
    return Set.of(AlertKind.FAILOVER, AlertKind.FENCING_DONE, AlertKind.FAILOVER_PAUSED, AlertKind.FENCING_FAILED,
        AlertKind.REPLICATION_BROKEN, AlertKind.REPLICATION_LAGGING, AlertKind.STANDBY_NOT_ELIGIBLE,
        AlertKind.TIMING_DRIFT);
  }

  @Override
  public void reset(Set<String> open) {
    grace.reset(open);
    drifting.reset(open);
  }

  /** Automatic failover paused by an operator, or blocked (by a failed fence: {@code fencing-failed}). */
  private static Condition switchedOff(FailoverSwitch.Off off) {
    boolean fence = off.reason().contains("fencing");
    boolean blocked = off.kind().equals("blocked");
    return new Condition(fence ? AlertKind.FENCING_FAILED : AlertKind.FAILOVER_PAUSED, blocked ? Severity.CRITICAL
        : Severity.WARNING, "cluster failover switch", "automatic failover is " + (blocked ? "blocked" : "paused")
        + " since " + off.at() + ": " + off.reason() + ". If the master fails now, nobody takes over.",
        blocked ? "find out why (the reason above, 'twinsign cluster list'), make sure the old master is really down"
            + " or fenced, then 'twinsign cluster resume'" : "'twinsign cluster resume' when the maintenance is"
            + " over");
  }

  /**
   * What this node must tell while the pair has no master, so that nobody can record an alert: its
   * fence of the peer failed and it refused to take over. Mailed directly by the outbox.
   */
  List<Condition> leaderless() throws Exception {
    Optional<FailoverSwitch.Off> off = failover.off();
    if (off.isEmpty() || !off.get().kind().equals("blocked") || !off.get().reason().contains("fencing node " + peer)
        || members.list().values().stream().anyMatch(m -> "master".equals(m.get("role")))) {
      return List.of();
    }
    Condition c = switchedOff(off.get());
    return List.of(new Condition(c.kind(), c.severity(), c.subject(), "the pair has NO MASTER: zones are not signed"
        + " and signatures run towards expiry. " + c.summary(), c.todo()));
  }

  @Override
  public List<Condition> look(Services services) throws Exception {
    List<Condition> now = new ArrayList<>();
    long epoch = services.lease().epoch().orElse(0);
    takeover(epoch).forEach(now::add);
    failover.off().map(PairAlerts::switchedOff).ifPresent(now::add);
    Map<String, Map<String, String>> running = members.list();
    Map<String, String> standby = running.get(peer);
    if (standby == null) {
      // a standby that is not running says nothing of its replication: what was open stays open
      services.alerts().open(List.of(AlertKind.REPLICATION_BROKEN, AlertKind.REPLICATION_LAGGING)).stream()
          .filter(c -> c.subject().equals("node " + peer)).forEach(now::add); // not this node's from its standby days
    } else {
      String problem = standby.getOrDefault("replication-problem", "");
      if (!problem.isEmpty()) {
        now.add(new Condition(AlertKind.REPLICATION_BROKEN, "node " + peer, "node " + peer + " (standby) reports its"
            + " database replication broken: " + problem, problem.contains("node rebuild") ? "run 'twinsign node"
            + " rebuild' on node " + peer : "look at 'twinsign node status' on node " + peer + " and its MariaDB error"
            + " log; replication resumes once the cause is gone (START SLAVE if it was stopped by hand)"));
      }
      String lag = standby.getOrDefault("lag", "").replace(" s", "").trim();
      if (lag.matches("\\d+") && Long.parseLong(lag) > LAG_SECONDS) {
        now.add(new Condition(AlertKind.REPLICATION_LAGGING, "node " + peer, "node " + peer + "'s database is " + lag
            + " s behind the master's", "look at the standby's load and disk ('twinsign node status' on node " + peer
            + "); a standby this far behind is not promoted automatically"));
      }
    }
    for (Map.Entry<String, Duration> offset : members.clockOffsets().entrySet()) {
      Duration drift = offset.getValue().abs();
      Condition c;
      if (drift.compareTo(DRIFT_BOUND) > 0 && drifting.held((c = new Condition(AlertKind.TIMING_DRIFT, "node " + offset.getKey(), "the clock of node "
            + offset.getKey() + " is " + (offset.getValue().isNegative() ? "behind" : "ahead of") + " ZooKeeper's by "
             + drift.toMillis() + " ms (bound " + DRIFT_BOUND.toMillis() + " ms): signatures' inception and expiry,"
            + " key timings and the nodes' records are computed from it", "fix the time service (chrony, NTP) on node "
            + offset.getKey() + " ('chronyc tracking'); the pair's lease does not depend on it, DNSSEC times do"))
          .key())) {
        now.add(c);
      }
    }
    drifting.lookDone();
        Eligibility.Mark mark = eligibility.read();
    if (!mark.eligible(peer)) {
      String reason = standby == null ? "node " + peer + " is not running" : mark.reason();
      Condition c = new Condition(AlertKind.STANDBY_NOT_ELIGIBLE, "node " + peer, "no standby can take over if node "
          + node + " (master) fails: node " + peer + " is not eligible (" + reason + ")", standby == null
          ? "start node " + peer + " ('twinsign node run', or its systemd unit); 'twinsign cluster list' shows when it"
              + " is eligible again" : "'twinsign cluster list' and 'twinsign node status' on node " + peer + " say"
              + " what it lacks; it is eligible again once it acknowledges commits and holds every published key");
      if (grace.held(c.key())) {
        now.add(c);
      }
    }
    grace.lookDone();
    return now;
  }

  /** The failover or switchover that made this node master in this epoch, and the fence that came with it. */
  private List<Condition> takeover(long epoch) throws Exception {
    EpochRecord current = leadership.currentEpoch();
    if (current.epoch() != epoch || !current.node().equals(node)) {
      return List.of();
    }
    EpochRecord previous = null;
    for (EpochRecord r : leadership.epochs().history()) {
      if (r.epoch() < epoch && (previous == null || r.epoch() > previous.epoch())) {
        previous = r;
      }
    }
    if (previous == null || previous.node().equals(node) || previous.node().isEmpty()) {
      return List.of(); // the first master, or this node resuming its own term
    }
    List<Condition> out = new ArrayList<>();
    boolean planned = current.reason().contains("switchover");
    out.add(new Condition(AlertKind.FAILOVER, planned ? Severity.INFO : Severity.WARNING, "epoch " + epoch, "node "
        + node + " is master since " + current.at() + " (epoch " + epoch + "), taking over from node "
        + previous.node() + ": " + current.reason(), planned ? "nothing: a planned switchover; 'twinsign cluster list'"
            + " shows the roles" : "find out why node " + previous.node() + " failed (its logs, 'twinsign cluster"
            + " history'); started again it follows as standby, or 'cluster list' tells to run 'twinsign node rebuild'"
            + " on it. Until then no standby can take over."));
    PairNode.Fenced fenced = pairNode.lastFence();
    if (fenced != null && fenced.node().equals(previous.node()) && !fenced.at().isAfter(current.at())
        && Duration.between(fenced.at(), current.at()).compareTo(Duration.ofMinutes(5)) < 0) {
      out.add(new Condition(AlertKind.FENCING_DONE, "node " + fenced.node() + ", epoch " + epoch, "node " + node
          + " fenced node " + fenced.node() + " at " + fenced.at() + " before taking over: " + fenced.how(),
          "before node " + fenced.node() + " runs again, make sure it is the standby now: start it with 'twinsign node"
              + " run' (it follows node " + node + "), and undo the fence (power, network) that fence.command did"));
    }
    return out;
  }
}
