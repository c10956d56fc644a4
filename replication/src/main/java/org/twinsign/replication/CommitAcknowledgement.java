package org.twinsign.replication;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * Decides, right after a COMMIT returned, whether the writer may treat the transaction as done.
 * A primary under semi-sync returns from COMMIT also when no replica acknowledged it (after the
 * timeout); such a transaction is not on the standby, so before anybody relies on it the standby
 * must stop being eligible for promotion ({@link SemiSyncAcknowledgement}).
 */
@FunctionalInterface
public interface CommitAcknowledgement {
  /** For a database without a standby (a single signer). */
  CommitAcknowledgement NONE = connection -> { };

  /**
   * Called on the committing connection after a successful COMMIT.
   *
   * @throws Exception when the commit must not be treated as acknowledged
   */
  void afterCommit(Connection connection) throws Exception;

  /** Marks the standby as not eligible for promotion; throws when that could not be recorded. */
  @FunctionalInterface
  interface Marker {
    void standbyNotEligible(String why) throws Exception;
  }

  /** Whether {@code e} says the server answered but refused, as opposed to a lost connection. */
  static boolean refused(SQLException e) {
    return e.getSQLState() != null && !e.getSQLState().startsWith("08");
  }
}
