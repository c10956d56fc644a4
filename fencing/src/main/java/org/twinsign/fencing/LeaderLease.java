package org.twinsign.fencing;

import java.util.OptionalLong;

/**
 * The lease a {@link Leadership} hands out with each epoch it takes.
 *
 * <p>Valid while all of these hold: it was not revoked (the latch was not lost, the connection was
 * not SUSPENDED or LOST, no higher epoch was seen, the leadership was not closed), the latch is
 * held now, the ZooKeeper connection is up, and the last contact with ZooKeeper that confirmed
 * this epoch was sent less than the safety window ago on the monotonic clock. The last condition
 * is what stops a master that was paused (GC, SIGSTOP): after it resumes it does nothing until a
 * heartbeat has reached ZooKeeper and come back. Revocation is permanent.
 */
final class LeaderLease implements Lease {
  private final Leadership leadership;
  private final long epoch;
  private volatile String revoked;

  LeaderLease(Leadership leadership, long epoch) {
    this.leadership = leadership;
    this.epoch = epoch;
  }

  @Override
  public OptionalLong epoch() {
    return OptionalLong.of(epoch);
  }

  @Override
  public boolean valid() {
    return revoked == null && leadership.why(this) == null;
  }

  void revoke(String why) {
    if (revoked == null) {
      revoked = why;
    }
  }

  boolean revoked() {
    return revoked != null;
  }

  @Override
  public String describe() {
    String why = revoked != null ? revoked : leadership.why(this);
    return "lease of node " + leadership.node() + " on fencing epoch " + epoch
        + (why == null ? "" : " is not valid (" + why + ")");
  }
}
