package org.twinsign.replication;

/**
 * What one MariaDB server says of its role: read-only or not, its GTID positions, semi-sync on
 * both sides, and its replica threads when it follows a primary ({@code replica} null otherwise).
 */
public record DatabaseStatus(boolean readOnly, GtidPosition current, GtidPosition binlog,
    boolean semiSyncPrimaryEnabled, boolean semiSyncPrimaryActive, long semiSyncReplicas, long semiSyncFallbacks,
    Replica replica) {

  /** {@code SHOW SLAVE STATUS}, the parts a role decision needs. */
  public record Replica(String primaryHost, int primaryPort, boolean ioRunning, boolean sqlRunning,
      GtidPosition received, GtidPosition applied, Long secondsBehind, String lastIoError, String lastSqlError) {

    /** Both threads run: it receives and applies. */
    public boolean healthy() {
      return ioRunning && sqlRunning;
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
