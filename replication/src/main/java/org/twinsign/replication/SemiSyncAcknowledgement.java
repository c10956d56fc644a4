package org.twinsign.replication;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;

/**
 * Patroni's synchronous-mode rule on MariaDB semi-sync: when a commit was not acknowledged by the
 * standby (semi-sync is off: it fell back to async after its timeout, or no replica is attached;
 * or the server counted an unacknowledged transaction since the last look), the standby is marked
 * not eligible <em>before</em> the commit is reported done. If the mark cannot be recorded, the
 * commit is reported as not acknowledged and the caller must not rely on it. Cheap while all is
 * well: one status query per commit.
 */
public final class SemiSyncAcknowledgement implements CommitAcknowledgement {
  private final Marker marker;
  private long unacknowledgedSeen = -1;

  public SemiSyncAcknowledgement(Marker marker) {
    this.marker = marker;
  }

  @Override
  public void afterCommit(Connection connection) throws Exception {
    boolean on = false;
    long unacknowledged = 0;
    try (Statement s = connection.createStatement(); ResultSet r = s.executeQuery("SHOW GLOBAL STATUS WHERE"
        + " Variable_name IN ('Rpl_semi_sync_master_status', 'Rpl_semi_sync_master_no_tx')")) {
      while (r.next()) {
        if (r.getString(1).equalsIgnoreCase("Rpl_semi_sync_master_status")) {
          on = r.getString(2).equalsIgnoreCase("ON");
        } else {
          unacknowledged = Long.parseLong(r.getString(2));
        }
      }
    }
    boolean more;
    synchronized (this) {
      more = unacknowledgedSeen >= 0 && unacknowledged > unacknowledgedSeen;
      unacknowledgedSeen = Math.max(unacknowledgedSeen, unacknowledged);
    }
    if (!on || more) {
      marker.standbyNotEligible(!on ? "the standby does not acknowledge commits (semi-sync is off on the primary)"
          : "a commit was not acknowledged by the standby (semi-sync timed out)");
    }
  }
}
