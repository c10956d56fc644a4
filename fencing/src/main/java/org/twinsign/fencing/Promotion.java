package org.twinsign.fencing;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The promotion decision: what a node that holds the leader latch but no lease does next. A pure
 * function of what the node observed, so that every rule can be read and tested on its own.
 *
 * <ol>
 *   <li>A node whose own database is unreachable takes nothing.
 *   <li>Before any epoch, the node whose database is the primary becomes the first master.
 *   <li>The node that held the last epoch resumes (new epoch, no fencing: nobody acted since),
 *       unless an operator handed over to another node a moment ago.
 *   <li>Another node's epoch means a failover. An operator's hand-over to this node is carried out
 *       (eligibility checked unless forced). Otherwise: not while the last master's ZooKeeper
 *       session lives (it is alive and will take the latch back: a passing disconnection is not a
 *       failure), not while automatic failover is off, and only if this node is the eligible
 *       (synchronous) standby. A refused automatic failover blocks automatic failover until an
 *       operator acts, except when the last master is merely still connected.
 * </ol>
 */
public final class Promotion {
  private Promotion() {}

  /** A hand-over older than this is stale: its target did not take over, the others may again. */
  public static final Duration HANDOVER_VALIDITY = Duration.ofSeconds(60);

  /** The local database as the node sees it. */
  public enum Data { PRIMARY, REPLICA, UNREACHABLE }

  public enum Step {
    /** Take a new epoch without fencing anybody: this node was the master, or is the first. */
    RESUME,
    /** Fence the last master (if {@link Decision#fence}), promote the database, take an epoch. */
    PROMOTE,
    /** Do not become master; give the latch back. */
    REFUSE
  }

  /**
   * @param previous the node that held the last epoch ("" before any)
   * @param fence whether the fence command must run against {@code previous} first
   * @param block whether this refusal turns automatic failover off
   * @param handover whether an operator ordered it (no fence delay: the order names this node)
   */
  public record Decision(Step step, String previous, boolean fence, boolean block, String why, boolean handover) {
    Decision(Step step, String previous, boolean fence, boolean block, String why) {
      this(step, previous, fence, block, why, false);
    }

    static Decision refuse(String previous, boolean block, String why) {
      return new Decision(Step.REFUSE, previous, false, block, why);
    }
  }

  /** What the candidate knows when it decides. */
  public record Observation(String me, Data data, EpochRecord last, boolean lastMasterConnected,
      Eligibility.Mark eligible, Optional<FailoverSwitch.Off> off, Optional<FailoverSwitch.Handover> handover,
      Instant now, Optional<String> clockOff) {
    /** {@code clockOff}: why this node's clock is too far off to act as master ({@link ClockSkew}), if it is. */
    public Observation(String me, Data data, EpochRecord last, boolean lastMasterConnected, Eligibility.Mark eligible,
        Optional<FailoverSwitch.Off> off, Optional<FailoverSwitch.Handover> handover, Instant now) {
      this(me, data, last, lastMasterConnected, eligible, off, handover, now, Optional.empty());
    }
  }

  public static Decision decide(Observation o) {
    String last = o.last().node();
    if (o.data() == Data.UNREACHABLE) {
      return Decision.refuse(last, false, "this node's database is unreachable");
    }
    if (o.clockOff().isPresent()) { // not a block: the other node, whose clock may be right, may take over
      return Decision.refuse(last, false, "this node's clock " + o.clockOff().get() + ": fix its time service");
    }
    Optional<FailoverSwitch.Handover> handover = o.handover().filter(h -> fresh(h, o.now()));
    if (o.last().epoch() == 0) {
      return o.data() == Data.PRIMARY
          ? new Decision(Step.RESUME, "", false, false, "first master of the cluster")
          : Decision.refuse("", false, "no master yet and this node's database is a replica: the node whose database"
              + " is the primary starts the cluster");
    }
    if (last.equals(o.me())) {
      if (handover.isPresent() && !handover.get().target().equals(o.me())) {
        return Decision.refuse(last, false, "handing over to node " + handover.get().target());
      }
      return o.data() == Data.PRIMARY
          ? new Decision(Step.RESUME, last, false, false, "this node held the last epoch")
          : Decision.refuse(last, true, "this node held the last epoch, but its database now replicates from"
              + " another: an operator must look ('cluster list')");
    }
    if (handover.isPresent() && handover.get().target().equals(o.me())) {
      FailoverSwitch.Handover h = handover.get();
      if (!h.force() && !o.eligible().eligible(o.me())) {
        return Decision.refuse(last, false, "handed over to this node, but it is not in sync with node " + last
            + " (" + o.eligible().reason() + "): wait for it to catch up, or force the failover");
      }
      return new Decision(Step.PROMOTE, last, !h.planned(), false, "operator: " + h.reason(), true);
    }
    if (handover.isPresent()) {
      return Decision.refuse(last, false, "an operator handed over to node " + handover.get().target());
    }
    if (o.lastMasterConnected()) {
      return Decision.refuse(last, false, "node " + last + " (the last master) is still connected to ZooKeeper;"
          + " it takes over again, or its session expires");
    }
    if (o.off().isPresent()) {
      FailoverSwitch.Off off = o.off().get();
      return Decision.refuse(last, false, "automatic failover is " + off.kind() + " (" + off.reason()
          + "): 'cluster resume' turns it on, 'cluster failover --to NODE' promotes by hand");
    }
    if (!o.eligible().eligible(o.me())) {
      return Decision.refuse(last, true, "node " + o.me() + " is not the eligible standby ("
          + (o.eligible().node().isEmpty() ? "none is" : "node " + o.eligible().node() + " is") + ": "
          + o.eligible().reason() + "); promoting it could lose acknowledged writes");
    }
    return new Decision(Step.PROMOTE, last, true, false, "node " + last + " is gone (its ZooKeeper session expired)");
  }

  /** Whether an operator's hand-over still counts: it lapses after {@link #HANDOVER_VALIDITY}. */
  static boolean fresh(FailoverSwitch.Handover h, Instant now) {
    try {
      return Instant.parse(h.at()).plus(HANDOVER_VALIDITY).isAfter(now);
    } catch (RuntimeException e) {
      return false;
    }
  }
}
