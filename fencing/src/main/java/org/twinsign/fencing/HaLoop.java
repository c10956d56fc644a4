package org.twinsign.fencing;

import java.io.Closeable;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's high-availability loop, in one place as Patroni's {@code ha.py}: observe, decide,
 * act, record. It runs on its own thread every {@code interval} and at once on each leadership
 * event.
 *
 * <ul>
 *   <li><b>Master</b> (valid lease): keep the duties running; mark the standby eligible while it
 *       acknowledges commits, not eligible as soon as it does not.
 *   <li><b>Lease gone</b>: stop the duties at once.
 *   <li><b>Candidate</b> (latch, no lease): {@link Promotion#decide}; then resume, or fence the
 *       last master + promote the database + take an epoch, or refuse and give the latch back.
 *       A fence that fails blocks automatic failover; nobody is promoted blindly.
 *   <li><b>Standby</b>: make the local database follow the master's; a database with errant
 *       transactions is left alone and reported (it needs {@code node rebuild}).
 * </ul>
 * Every tick publishes the node's role and state in its member znode for {@code cluster list}.
 */
public final class HaLoop implements Closeable {
  private static final Logger LOG = LoggerFactory.getLogger(HaLoop.class);

  private final Leadership leadership;
  private final ClusterMembers members;
  private final Eligibility eligibility;
  private final FailoverSwitch failover;
  private final NodeRole role;
  private final Clock clock;
  private final Duration interval;
  private final Duration fenceDelay;
  private final ClockSkew clockSkew;
  private Map<String, String> clocksOff = Map.of(); // nodes whose clock is off, from this tick's look
  private final Semaphore wake = new Semaphore(0);
  private final Thread thread;
  private volatile boolean running = true;
  private volatile boolean duties;
  private volatile String state = "starting";
  private volatile long tickedAt = System.nanoTime();
  private final Map<String, Long> logged = new LinkedHashMap<>(); // state -> when it was last logged (nanos)
  private long followRetryAt;
  private volatile String replicationProblem = ""; // as standby: published, so that the master sees it
  private long decideAfter; // a refusal is not reconsidered at once: the latch may come straight back

  /** How long a candidate that refused waits before it decides again. */
  static final Duration REFUSAL_BACKOFF = Duration.ofSeconds(1);

  public HaLoop(Leadership leadership, ClusterMembers members, Eligibility eligibility, FailoverSwitch failover,
      NodeRole role, Clock clock, Duration interval, Duration fenceDelay) {
    this(leadership, members, eligibility, failover, role, clock, interval, fenceDelay, Duration.ZERO);
  }

  /**
   * {@code clockBound}: a node whose clock is further than this from ZooKeeper's (and the other
   * node's) does not act as master: it is not marked eligible, does not promote, and as master hands
   * over to an eligible standby and steps down ({@link ClockSkew}); zero: not judged.
   */
  public HaLoop(Leadership leadership, ClusterMembers members, Eligibility eligibility, FailoverSwitch failover,
      NodeRole role, Clock clock, Duration interval, Duration fenceDelay, Duration clockBound) {
    this.clockSkew = new ClockSkew(clockBound);
    this.leadership = leadership;
    this.members = members;
    this.eligibility = eligibility;
    this.failover = failover;
    this.role = role;
    this.clock = clock;
    this.interval = interval;
    this.fenceDelay = fenceDelay;
    this.thread = new Thread(this::run, "ha-loop-" + leadership.node());
    this.thread.setDaemon(true);
    leadership.addListener(new LeadershipListener() {
      @Override
      public void latchGained() {
        wake.release();
      }

      @Override
      public void leadershipLost(String why) {
        if (duties) { // at once, not at the next tick: a running signing must not publish
          duties = false;
          role.stopMaster(why);
        }
        wake.release();
      }
    });
  }

  public void start() {
    thread.start();
  }

  /** What this node is doing, in a few words ({@code master}, {@code standby of alpha}, why it refused). */
  public String state() {
    return state;
  }

  /** Runs the next tick now. */
  public void wake() {
    wake.release();
  }

  private void run() {
    while (running) {
      try {
        tick();
      } catch (InterruptedException e) {
        return;
      } catch (Exception e) {
        note("error: " + e.getMessage());
        LOG.warn("HA loop of node {}: {}", leadership.node(), e.toString());
      }
      try {
        wake.tryAcquire(interval.toMillis(), TimeUnit.MILLISECONDS);
        wake.drainPermits();
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** Whether a tick finished within {@code within}: the loop is not stuck (for a watchdog). */
  public boolean alive(Duration within) {
    return thread.isAlive() && System.nanoTime() - tickedAt < within.toNanos();
  }

  void tick() throws Exception {
    tickedAt = System.nanoTime();
    clocksOff = clockSkew.enabled() ? lookAtClocks() : Map.of();
    if (leadership.isMaster()) {
      actAsMaster();
    } else {
      if (duties) {
        duties = false;
        role.stopMaster(leadership.lease() == null ? "not master" : leadership.lease().describe());
      }
      if (leadership.hasLatch()) {
        actAsCandidate();
      } else {
        actAsStandby();
      }
    }
    publish();
  }

  /** The nodes whose clock is off now; none while ZooKeeper cannot be read (the rest of the tick still runs). */
  private Map<String, String> lookAtClocks() {
    try {
      return clockSkew.look(members.clockOffsets());
    } catch (Exception e) {
      clockSkew.unknown();
      return Map.of();
    }
  }

  /** Why {@code node}'s clock is too far off to hand it the master's role now, if it is (one fresh look). */
  public Optional<String> clockProblem(String node) throws Exception {
    return clockSkew.problem(node, members.clockOffsets());
  }

  private void actAsMaster() throws Exception {
    Lease lease = leadership.lease();
    Map<String, Map<String, String>> running = members.list();
    Optional<FailoverSwitch.Handover> away = failover.handover().filter(h -> !h.target().equals(leadership.node())
        && Promotion.fresh(h, clock.instant()) && running.containsKey(h.target()));
    if (away.isPresent()) {
      // an operator's hand-over asked on another node: the master makes way (its target fences it
      // unless the hand-over is planned)
      String why = "an operator handed over to node " + away.get().target() + " (" + away.get().reason() + ")";
      LOG.info("node {} steps down: {}", leadership.node(), why);
      leadership.stepDown(why);
      note("stepped down: " + why);
      return;
    }
    String standby = members.list().keySet().stream().filter(n -> !n.equals(leadership.node())).findFirst()
        .orElse("");
    // the mark first, replication second: a "not eligible" that a commit writes in between makes
    // the conditional write below fail instead of being overwritten
    Eligibility.Mark mark = eligibility.read();
    if (clocksOff.containsKey(leadership.node())) {
      // signatures made now would carry its wrong time (an inception in the future makes them bogus):
      // it stops signing; an eligible standby whose clock is right takes over without being fenced
      String why = "this node's clock " + clocksOff.get(leadership.node());
      boolean handover = !standby.isEmpty() && mark.eligible(standby) && mark.epoch() == lease.epoch().getAsLong()
          && !clocksOff.containsKey(standby);
      if (handover) {
        // stamped with ZooKeeper's time: this node's clock would make it stale or fresh for too long
        failover.handOver(standby, false, true, why, clock.instant().minus(clockSkew.offset(leadership.node())));
      }
      LOG.warn("node {} steps down: {}{}", leadership.node(), why, handover ? "; it hands over to node " + standby
          : "; no eligible standby with a good clock takes over");
      leadership.stepDown(why);
      note("stepped down: " + why);
      return;
    }
    duties = true;
    role.becomeMaster(lease); // idempotent: restarts the duties if they died
    Optional<Boolean> inSync = standby.isEmpty() ? Optional.of(false) : role.standbyInSync(standby);
    // the standby's own word on its replication: a stopped applier still acknowledges what it receives
    String broken = running.getOrDefault(standby, Map.of()).getOrDefault("replication-problem", "");
    Optional<String> lacks = !inSync.orElse(false) ? Optional.empty()
        : !broken.isEmpty() ? Optional.of("reports its replication broken: " + broken)
        : clocksOff.containsKey(standby) ? Optional.of("has a clock that " + clocksOff.get(standby))
        : role.standbyLacks(standby);
    if (lacks.isPresent()) {
      inSync = Optional.of(false);
    }
    if (inSync.isPresent()) {
      String wanted = inSync.get() ? standby : "";
      if (!mark.node().equals(wanted) || mark.epoch() != lease.epoch().getAsLong()) {
        String reason = inSync.get() ? "acknowledges every commit of epoch " + lease.epoch().getAsLong()
            : standby.isEmpty() ? "no standby is running" : lacks.map(l -> "node " + standby + " " + l)
                .orElse("node " + standby + " does not acknowledge commits");
        if (eligibility.markIfUnchanged(wanted, reason, lease, mark)) {
          LOG.info("node {} marks {}", leadership.node(), wanted.isEmpty() ? "no standby eligible (" + reason + ")"
              : "node " + wanted + " eligible");
        }
      }
    }
    note("master (epoch " + lease.epoch().getAsLong() + ")");
  }

  /** Why this node may not take the master's role for its clock: judged off, or not yet seen within the bound. */
  private Optional<String> clockOff() {
    String off = clocksOff.get(leadership.node());
    if (off != null) {
      return Optional.of(off);
    }
    return clockSkew.goodNow(leadership.node()) ? Optional.empty()
        : Optional.of("has not been compared with ZooKeeper's yet (or was just off)");
  }

  private void actAsCandidate() throws Exception {
    if (System.nanoTime() - decideAfter < 0) {
      return;
    }
    EpochRecord last = leadership.currentEpoch();
    Promotion.Observation seen = new Promotion.Observation(leadership.node(), role.data(), last,
        !last.node().isEmpty() && !last.node().equals(leadership.node()) && members.list().containsKey(last.node()),
        eligibility.read(), failover.off(), failover.handover(), clock.instant(), clockOff());
    Promotion.Decision decision = Promotion.decide(seen);
    switch (decision.step()) {
      case RESUME -> {
        String position = role.promote();
        become(leadership.takeEpoch(decision.why(), position), decision);
      }
      case PROMOTE -> {
        note("promoting: " + decision.why());
        if (!fenceDelay.isZero() && !decision.handover()) {
          Thread.sleep(fenceDelay.toMillis()); // favours the last master: it may come back meanwhile
          if (!leadership.hasLatch() || members.list().containsKey(decision.previous())) {
            note("promotion abandoned: node " + decision.previous() + " came back within the fence delay");
            return;
          }
        }
        if (!decision.previous().isEmpty()) {
          try {
            role.fence(decision.previous(), decision.fence());
          } catch (Exception e) {
            String why = "fencing node " + decision.previous() + " failed (" + e.getMessage() + "): not promoted";
            failover.block(why);
            refuse(why);
            return;
          }
        }
        Lease lease;
        try {
          String position = role.promote();
          lease = leadership.takeEpoch("failover from node " + decision.previous() + ": " + decision.why(), position);
        } catch (Exception e) {
          // never half-promoted and holding on: say why, block automatic failover, give the latch back
          String why = "promoting this node failed (" + e.getMessage() + ")";
          failover.block(why);
          refuse(why);
          return;
        }
        become(lease, decision);
        failover.handover().filter(h -> h.target().equals(leadership.node())).ifPresent(h -> clear());
      }
      case REFUSE -> {
        if (decision.block()) {
          failover.block(decision.why());
        }
        refuse(decision.why());
      }
    }
  }

  private void clear() {
    try {
      failover.clearHandover();
    } catch (Exception e) {
      LOG.warn("node {} could not clear the hand-over: {}", leadership.node(), e.toString());
    }
  }

  private void become(Lease lease, Promotion.Decision decision) {
    duties = true;
    role.becomeMaster(lease);
    note("master (epoch " + lease.epoch().getAsLong() + ")");
    LOG.info("node {} became master with epoch {}: {}", leadership.node(), lease.epoch().getAsLong(),
        decision.why());
  }

  private void refuse(String why) throws Exception {
    note("not taking over: " + why);
    decideAfter = System.nanoTime() + REFUSAL_BACKOFF.toNanos();
    leadership.stepDown(why);
  }

  private void actAsStandby() throws Exception {
    if (System.nanoTime() - decideAfter < 0) {
      return; // between a refusal and the next decision: the refusal stays the state to show
    }
    EpochRecord last = leadership.currentEpoch();
    if (last.node().isEmpty() || last.node().equals(leadership.node())) {
      note("standby (no other master yet)");
      return;
    }
    Promotion.Data data = role.data();
    if (data != Promotion.Data.REPLICA) {
      replicationProblem = "";
    }
    if (data == Promotion.Data.PRIMARY && System.nanoTime() - followRetryAt >= 0) {
      try {
        // where the master's history forked from this node's, if this node was master before
        String fork = leadership.epochs().successorOf(leadership.node()).map(EpochRecord::position).orElse("");
        role.follow(last.node(), fork);
        note("standby of node " + last.node());
      } catch (Exception e) {
        followRetryAt = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        note("standby, not following node " + last.node() + ": " + e.getMessage());
      }
      return;
    }
    if (data == Promotion.Data.REPLICA) {
      Optional<String> problem = role.replicationProblem();
      replicationProblem = problem.orElse("");
      note("standby of node " + last.node() + problem.map(p -> ", replication broken: " + p).orElse(""));
    } else if (data == Promotion.Data.UNREACHABLE) {
      note("standby, database unreachable");
    }
  }

  private void publish() {
    Map<String, String> info = new LinkedHashMap<>(role.describe());
    info.put("state", state);
    if (!leadership.isMaster() && !replicationProblem.isEmpty()) {
      info.put("replication-problem", replicationProblem);
    }
    info.put("role", leadership.isMaster() ? "master" : "standby");
    Lease lease = leadership.lease();
    info.put("epoch", lease != null && lease.valid() ? Long.toString(lease.epoch().getAsLong()) : "");
    info.put("seen", clock.instant().toString());
    try {
      members.update(info);
    } catch (Exception e) {
      LOG.debug("node {} could not publish its state: {}", leadership.node(), e.toString());
    }
  }

  /** Records the state; logs it when it is new or was last logged a minute ago (a refusal repeats). */
  private void note(String what) {
    boolean changed = !what.equals(state);
    state = what;
    long now = System.nanoTime();
    Long at = logged.get(what);
    if (changed && (at == null || now - at > Duration.ofMinutes(1).toNanos())) {
      logged.put(what, now);
      if (logged.size() > 100) {
        logged.remove(logged.keySet().iterator().next());
      }
      LOG.info("node {}: {}", leadership.node(), what);
    }
  }

  @Override
  public void close() {
    running = false;
    thread.interrupt();
    try {
      thread.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (duties) {
      duties = false;
      role.stopMaster("node stopping");
    }
  }
}
