package org.twinsign.replication;

/**
 * What one MariaDB server says of its role: read-only or not, its GTID positions, semi-sync on
 * both sides, and its replica threads when it follows a primary ({@code replica} null otherwise).
 */
public record DatabaseStatus(boolean readOnly, GtidPosition current, GtidPosition binlog,
    boolean semiSyncPrimaryEnabled, boolean semiSyncPrimaryActive, long semiSyncReplicas, long semiSyncFallbacks,
    Replica replica) {

  /**
   * The replica threads ({@code SHOW SLAVE STATUS}, or the process list while the receiver waits
   * for disk space), the parts a role decision needs.
   */
  public record Replica(String primaryHost, int primaryPort, boolean ioRunning, boolean sqlRunning,
      GtidPosition received, GtidPosition applied, Long secondsBehind, String lastIoError, String lastSqlError,
      boolean diskFull) {

    /**
     * A replica whose receiver waits for disk space for its relay log ("Waiting for someone to free
     * space"): the thread runs, reports no error and receives nothing, and {@code SHOW SLAVE STATUS}
     * blocks until space is freed, so this is known from the process list alone; positions are
     * the applied one, {@code lastIoError} says what to do.
     */
    static Replica diskFull(GtidPosition applied, boolean sqlRunning, String relayLog) {
      return new Replica(null, 0, true, sqlRunning, applied, applied, null, "the disk of the relay log (" + relayLog
          + ") is full: the receiver waits for space and the master's transactions do not arrive; free space there"
          + " (the receiver tries again once a minute)", "", true);
    }

    /** Both threads run, and the receiver is not stuck on a full disk: it receives and applies. */
    public boolean healthy() {
      return ioRunning && sqlRunning && !diskFull;
    }

    /**
     * Everything it has received is applied, judged by the server's {@code current} position:
     * events of its own server id that come back from the primary are skipped, not applied.
     */
    public boolean caughtUp(GtidPosition current) {
      return current.covers(received);
    }
  }

  /** A primary: writable and following nobody. */
  public boolean primary() {
    return !readOnly && replica == null;
  }
}
