package org.twinsign.appliance.zone;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;

/**
 * The recent versions of one zone as diffs, oldest first, for IXFR (RFC 1995): bounded by the
 * number of diffs and the records they hold together (the oldest go first). Thread-safe: the
 * signer appends, transfers read.
 */
public final class Journal {
  /** The default bounds: enough for a secondary that missed a few hours of changes. */
  public static final int MAX_DIFFS = 1000;
  public static final long MAX_RECORDS = 2_000_000;

  private final int maxDiffs;
  private final long maxRecords;
  private final Deque<ZoneDiff> diffs = new ArrayDeque<>();
  private long records;

  public Journal() {
    this(MAX_DIFFS, MAX_RECORDS);
  }

  public Journal(int maxDiffs, long maxRecords) {
    this.maxDiffs = maxDiffs;
    this.maxRecords = maxRecords;
  }

  /**
   * Adds the diff to the newest version; a diff that does not start where the last ended starts
   * the journal over.
   *
   * @return whether older diffs were dropped (a copy on disk must be rewritten, not appended to)
   */
  public synchronized boolean append(ZoneDiff diff) {
    boolean dropped = false;
    ZoneDiff last = diffs.peekLast();
    if (last != null && last.to().getSerial() != diff.from().getSerial()) {
      dropped = true;
      diffs.clear();
      records = 0;
    }
    if (diff.size() > maxRecords) {
      // a change of most of the zone (a new NSEC3 salt, a key rollover): cheaper sent whole
      diffs.clear();
      records = 0;
      return true;
    }
    diffs.addLast(diff);
    records += diff.size();
    while (diffs.size() > maxDiffs || records > maxRecords) {
      records -= diffs.removeFirst().size();
      dropped = true;
    }
    return dropped;
  }

  /** Forgets every diff: the next version is not reached by one. */
  public synchronized void clear() {
    diffs.clear();
    records = 0;
  }

  /** The diffs, oldest first (a copy). */
  public synchronized java.util.List<ZoneDiff> diffs() {
    return java.util.List.copyOf(diffs);
  }

  /**
   * The changes from the version with {@code serial} to the newest, condensed into one diff, or
   * empty when the journal does not reach back that far (the caller sends the whole zone).
   */
  public Optional<ZoneDiff> since(long serial) {
    return between(serial, null);
  }

  /**
   * The changes from the version with {@code from} to the one with {@code to} (null: the newest),
   * condensed into one diff, or empty when the journal does not hold that stretch. A reader that
   * holds version {@code to} asks this way: the journal may already hold a newer diff.
   */
  public Optional<ZoneDiff> between(long from, Long to) {
    java.util.List<ZoneDiff> chain = new java.util.ArrayList<>();
    synchronized (this) { // only the copy under the lock: condensing a long chain must not hold up the signer
      boolean found = false;
      for (ZoneDiff d : diffs) {
        found |= d.from().getSerial() == from;
        if (found) {
          chain.add(d);
          if (to != null && d.to().getSerial() == to) {
            break;
          }
        }
      }
    }
    if (chain.isEmpty() || to != null && chain.get(chain.size() - 1).to().getSerial() != to) {
      return Optional.empty();
    }
    return Optional.of(ZoneDiff.condense(chain));
  }

  /** How many versions back the journal reaches. */
  public synchronized int depth() {
    return diffs.size();
  }

  /** The oldest serial a secondary may hold and still get a diff, or -1 if none. */
  public synchronized long oldestSerial() {
    ZoneDiff first = diffs.peekFirst();
    return first == null ? -1 : first.from().getSerial();
  }
}
