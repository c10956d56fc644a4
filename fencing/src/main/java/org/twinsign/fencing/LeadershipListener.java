package org.twinsign.fencing;

/**
 * Told about leadership changes, as Curator's {@code LeaderLatchListener}, but in fencing terms.
 * Calls come one at a time from the {@link Leadership}'s own thread, never from ZooKeeper's event
 * thread; a listener must return promptly and do long work elsewhere.
 */
public interface LeadershipListener {
  /**
   * This node now holds the latch. Nothing is done yet: the node may fence the previous master,
   * promote its database, and then {@link Leadership#takeEpoch take an epoch}, or give the latch
   * back with {@link Leadership#stepDown}.
   */
  void latchGained();

  /**
   * The lease this node held (if any) is revoked, or the latch is gone: every master duty must
   * stop now. A node becomes master again only through a new epoch.
   */
  void leadershipLost(String why);
}
