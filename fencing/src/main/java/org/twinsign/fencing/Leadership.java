package org.twinsign.fencing;

import java.io.Closeable;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node's part in the election: a Curator {@link LeaderLatch}, the fencing epoch it takes once
 * it leads, and the {@link Lease} that goes with that epoch.
 *
 * <p>Semantics:
 * <ul>
 *   <li>Holding the latch makes a node the candidate, not the master: it becomes master when it
 *       {@link #takeEpoch takes an epoch} (after fencing and promoting, which the caller does).
 *   <li>The lease is revoked at once, for good, when the connection is SUSPENDED or LOST (Curator
 *       TN14: suspended counts as lost), when the latch is lost, when a heartbeat finds a higher
 *       epoch, and on {@link #close()}. Listeners hear {@link LeadershipListener#leadershipLost}.
 *   <li>Between those events the lease is valid only while the last heartbeat that confirmed the
 *       epoch was sent less than {@code safetyFraction × sessionTimeout} ago (monotonic clock).
 *       ZooKeeper expires a silent session only after the whole session timeout, so a paused
 *       master's lease ends well before a rival can be elected.
 * </ul>
 * Lifecycle: construct, {@link #addListener}, {@link #start()}, {@link #close()}. The Curator
 * client belongs to the caller and must be started first.
 */
public final class Leadership implements Closeable {
  private static final Logger LOG = LoggerFactory.getLogger(Leadership.class);

  /** How one node takes part: its name, the cluster, and the timing of the lease. */
  public record Settings(String node, ClusterPaths paths, Duration sessionTimeout, double safetyFraction) {
    public Settings {
      ClusterPaths.requireName("node.name", node);
      Objects.requireNonNull(paths, "paths");
      if (sessionTimeout.toMillis() < 1000) {
        throw new IllegalArgumentException("zookeeper.session-timeout " + sessionTimeout + " is below 1 second");
      }
      if (!(safetyFraction > 0 && safetyFraction < 1)) {
        throw new IllegalArgumentException("the lease safety fraction must be between 0 and 1, not " + safetyFraction);
      }
    }

    /** How long a confirmed contact keeps the lease valid. */
    public Duration window() {
      return Duration.ofNanos((long) (sessionTimeout.toNanos() * safetyFraction));
    }
  }

  private final CuratorFramework client;
  private final Settings settings;
  private final LongSupplier nanos;
  private final FencingEpoch epochs;
  private volatile LeaderLatch latch;
  private final AtomicLong losses = new AtomicLong(); // bumped by every loss: an epoch taken across one is void
  private final List<LeadershipListener> listeners = new CopyOnWriteArrayList<>();
  private final ExecutorService events;
  private final ScheduledExecutorService heartbeats;
  private final ConnectionStateListener connectionListener = this::connectionChanged;
  private volatile boolean connected;
  private volatile long confirmedAt; // nanos when the last heartbeat that confirmed our epoch was sent
  private volatile boolean confirmedOnce;
  private volatile LeaderLease lease;
  private volatile boolean closed;
  private volatile int negotiatedMillis; // the session timeout the server granted; 0 until known

  public Leadership(CuratorFramework client, Settings settings, Clock clock, LongSupplier nanos) {
    this.client = client;
    this.settings = settings;
    this.nanos = nanos;
    this.epochs = new FencingEpoch(client, settings.paths(), clock);
    this.events = Executors.newSingleThreadExecutor(r -> daemon(r, "leadership-events-" + settings.node()));
    this.heartbeats = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "leadership-heartbeat-"
        + settings.node()));
  }

  public Leadership(CuratorFramework client, Settings settings) {
    this(client, settings, Clock.systemUTC(), System::nanoTime);
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  public void addListener(LeadershipListener listener) {
    listeners.add(listener);
  }

  public String node() {
    return settings.node();
  }

  public Settings settings() {
    return settings;
  }

  public FencingEpoch epochs() {
    return epochs;
  }

  public void start() throws Exception {
    connected = client.getZookeeperClient().isConnected();
    client.getConnectionStateListenable().addListener(connectionListener);
    joinElection();
    heartbeats.execute(this::heartbeats);
  }

  /**
   * Heartbeats, each after a fifth of the lease window: of the window the server granted, so
   * that a shorter session than configured (the server's maxSessionTimeout) does not leave the
   * lease lapsing between two heartbeats.
   */
  private void heartbeats() {
    heartbeat();
    long period = Math.max(50, window().toMillis() / 5);
    try {
      heartbeats.schedule(this::heartbeats, period, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // closed
    }
  }

  /** A fresh latch: at the back of the queue of candidates. */
  private void joinElection() throws Exception {
    LeaderLatch fresh = new LeaderLatch(client, settings.paths().latch(), settings.node(),
        LeaderLatch.CloseMode.SILENT);
    fresh.addListener(new LeaderLatchListener() {
      @Override
      public void isLeader() {
        if (latch == fresh) {
          listeners.forEach(LeadershipListener::latchGained);
        }
      }

      @Override
      public void notLeader() {
        if (latch == fresh) {
          lose("the leader latch was lost");
        }
      }
    }, events);
    latch = fresh;
    fresh.start();
  }

  /** Whether this node holds the latch now (candidate or master). */
  public boolean hasLatch() {
    return !closed && latch.hasLeadership();
  }

  /** The lease of the epoch this node took last, or null; it may be revoked. */
  public Lease lease() {
    return lease;
  }

  /** Whether this node is master now: it holds a valid lease. */
  public boolean isMaster() {
    LeaderLease current = lease;
    return current != null && current.valid();
  }

  /**
   * Takes the next fencing epoch and returns its lease: the step that makes a latch holder the
   * master. Call it after fencing the previous master and promoting the database.
   *
   * @throws LeaseLostException when this node no longer holds the latch
   */
  public synchronized Lease takeEpoch(String reason) throws Exception {
    return takeEpoch(reason, "");
  }

  /**
   * As {@link #takeEpoch(String)}, recording {@code position} with the epoch: where this node's
   * data stood when it took over (for the database, its GTID position: transactions a former
   * master has beyond it were never part of the new master's history).
   */
  public synchronized Lease takeEpoch(String reason, String position) throws Exception {
    String ourPath = latch.getOurPath();
    if (!hasLatch() || ourPath == null) {
      throw new LeaseLostException("node " + node() + " does not hold the leader latch: it takes no epoch");
    }
    LeaderLease old = lease;
    if (old != null) {
      old.revoke("replaced by a newer epoch of the same node");
    }
    long before = losses.get();
    long sent = nanos.getAsLong();
    EpochRecord taken = epochs.take(node(), reason, position, ourPath);
    LeaderLease fresh = new LeaderLease(this, taken.epoch());
    confirm(sent); // the transaction itself confirmed the epoch at 'sent'
    lease = fresh;
    if (losses.get() != before) { // lost while the epoch was being taken: it may never become valid
      fresh.revoke("leadership was lost while epoch " + taken.epoch() + " was being taken");
      throw new LeaseLostException(fresh.describe());
    }
    LOG.info("node {} is master with fencing epoch {} ({})", node(), taken.epoch(), reason);
    return fresh;
  }

  /**
   * Gives the latch back (and with it any lease) and joins the election again at the back of the
   * queue: another candidate, if there is one, leads next.
   */
  public synchronized void stepDown(String why) throws Exception {
    LeaderLatch old = latch;
    lose(why);
    joinElection();
    old.close(LeaderLatch.CloseMode.SILENT);
  }

  /** The latest epoch in ZooKeeper (any node's). */
  public EpochRecord currentEpoch() throws Exception {
    return epochs.current();
  }

  /**
   * How long a confirmed contact keeps the lease: the safety fraction of the session timeout the
   * server granted (it may grant less than configured: maxSessionTimeout), never of more.
   */
  Duration window() {
    int granted = negotiatedMillis;
    Duration window = settings.window();
    if (granted > 0 && granted < settings.sessionTimeout().toMillis()) {
      window = Duration.ofNanos((long) (Duration.ofMillis(granted).toNanos() * settings.safetyFraction()));
    }
    return window;
  }

  /** Why {@code l} is not valid now, or null; revocation aside. */
  String why(LeaderLease l) {
    if (closed) {
      return "leadership closed";
    }
    if (!connected) {
      return "not connected to ZooKeeper";
    }
    if (!latch.hasLeadership()) {
      return "the leader latch is not held";
    }
    long age = nanos.getAsLong() - confirmedAt;
    if (!confirmedOnce || age >= window().toNanos()) {
      return "no confirmed contact with ZooKeeper for " + Duration.ofNanos(age).toMillis() + " ms (the lease lasts "
          + window().toMillis() + " ms after one)";
    }
    return null;
  }

  /**
   * Confirms contact through the quorum, not only the server this node is connected to: a
   * check-only transaction goes through ZooKeeper's leader, so a server cut off from the quorum
   * (which may go on answering reads for a while) confirms nothing. The read after it sees at
   * least what the quorum had when the transaction passed.
   */
  private void heartbeat() {
    long sent = nanos.getAsLong();
    try {
      LeaderLease current = lease;
      int negotiated = client.getZookeeperClient().getZooKeeper().getSessionTimeout();
      if (negotiated > 0) {
        negotiatedMillis = negotiated; // known once connected, whatever the transaction's outcome
      }
      client.transaction().forOperations(client.transactionOp().check().forPath(settings.paths().epoch()));
      EpochRecord now = epochs.current();
      if (current != null && !current.revoked() && now.epoch() > current.epoch().getAsLong()) {
        lose("epoch " + now.epoch() + " was taken by node " + now.node());
        return;
      }
      confirm(sent);
    } catch (Exception e) {
      // no confirmation: the window runs out by itself; the connection listener says why
      LOG.debug("heartbeat of node {} failed: {}", node(), e.toString());
    }
  }

  private synchronized void confirm(long sent) {
    if (!confirmedOnce || sent - confirmedAt > 0) {
      confirmedAt = sent;
      confirmedOnce = true;
    }
  }

  private void connectionChanged(CuratorFramework c, ConnectionState state) {
    connected = state.isConnected();
    if (state == ConnectionState.SUSPENDED || state == ConnectionState.LOST) {
      lose("the ZooKeeper connection is " + state);
    }
  }

  /** Revokes the lease (if any) and tells the listeners, once per lease. */
  private void lose(String why) {
    losses.incrementAndGet();
    LeaderLease current = lease;
    boolean had = current != null && !current.revoked();
    if (current != null) {
      current.revoke(why);
    }
    if (had) {
      LOG.warn("node {} stops acting as master (epoch {}): {}", node(), current.epoch().getAsLong(), why);
    }
    if (!closed) {
      events.execute(() -> listeners.forEach(l -> l.leadershipLost(why)));
    }
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    lose("leadership closed");
    closed = true;
    heartbeats.shutdownNow();
    client.getConnectionStateListenable().removeListener(connectionListener);
    try {
      latch.close(LeaderLatch.CloseMode.SILENT);
    } catch (Exception e) {
      LOG.debug("closing the latch of node {}: {}", node(), e.toString());
    }
    events.shutdown();
  }
}
