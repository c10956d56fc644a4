package org.twinsign.fencing;

import java.util.OptionalLong;

/**
 * A lease on a fixed fencing epoch that stays valid until {@link #revoke(String)}: what a holder
 * uses once it has taken the epoch and while something else (the leader latch, a test) watches
 * its validity. Thread-safe.
 */
public final class EpochLease implements Lease {
  private final long epoch;
  private volatile String revoked;

  public EpochLease(long epoch) {
    if (epoch < 1) {
      throw new IllegalArgumentException("a fencing epoch is 1 or more, not " + epoch);
    }
    this.epoch = epoch;
  }

  @Override
  public OptionalLong epoch() {
    return OptionalLong.of(epoch);
  }

  @Override
  public boolean valid() {
    return revoked == null;
  }

  /** Ends the lease for good; every later {@link #check} refuses, naming {@code why}. */
  public void revoke(String why) {
    revoked = why;
  }

  @Override
  public String describe() {
    String why = revoked;
    return "lease on fencing epoch " + epoch + (why == null ? "" : " is no longer valid (" + why + ")");
  }
}
