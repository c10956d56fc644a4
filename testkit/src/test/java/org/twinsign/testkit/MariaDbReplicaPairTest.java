package org.twinsign.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class MariaDbReplicaPairTest {
  private static MariaDbReplicaPair pair;

  @BeforeAll
  static void startPair() {
    pair = MariaDbReplicaPair.start();
  }

  @AfterAll
  static void stopPair() {
    if (pair != null) {
      pair.close();
    }
  }

  @Test
  void semiSyncIsOnWithWaitPointAfterSync() throws Exception {
    MariaDbReplicaPair.SemiSyncStatus status = pair.semiSyncStatus();
    assertTrue(status.on(), "Rpl_semi_sync_master_status must be ON: " + status);
    assertEquals(1, status.clients(), "one semi-sync replica: " + status);
    assertEquals("AFTER_SYNC", status.waitPoint());
    assertEquals("ON", pair.primary().queryString("SELECT IF(@@gtid_strict_mode, 'ON', 'OFF')"));
    assertEquals("Slave_Pos", pair.replicaStatus().get("Using_Gtid"));
  }

  @Test
  void aCommittedRowIsOnTheReplicaWhenTheCommitReturns() throws Exception {
    pair.primary().execute("CREATE DATABASE IF NOT EXISTS fixture",
        "CREATE TABLE IF NOT EXISTS fixture.zones (name VARCHAR(255) PRIMARY KEY, serial BIGINT NOT NULL)");
    pair.awaitReplicaApplied(Duration.ofSeconds(10));
    long yesBefore = pair.semiSyncStatus().yesTransactions();

    try (Connection connection = pair.primary().rootConnection();
        PreparedStatement insert = connection.prepareStatement(
            "INSERT INTO fixture.zones (name, serial) VALUES (?, ?)")) {
      insert.setString(1, "example.test.");
      insert.setLong(2, 2026112201L);
      insert.executeUpdate(); // autocommit: returns after the replica acknowledged (AFTER_SYNC)
    }
    // right after the commit returned: the replica already holds the transaction
    String committed = pair.primaryGtidPosition();
    assertEquals(committed, pair.replicaReceivedGtidPosition(),
        "semi-sync: the replica must have received the transaction before the commit returned");
    MariaDbReplicaPair.SemiSyncStatus after = pair.semiSyncStatus();
    assertTrue(after.on(), "semi-sync must still be ON: " + after);
    assertEquals(yesBefore + 1, after.yesTransactions(), "the commit was acknowledged by the replica: " + after);

    // the replica applies at once: it must not itself wait for semi-sync acknowledgements
    pair.awaitReplicaApplied(Duration.ofSeconds(3));
    try (Connection connection = pair.replica().rootConnection(); Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery("SELECT serial FROM fixture.zones WHERE name = 'example.test.'")) {
      assertTrue(rows.next(), "row must be on the replica");
      assertEquals(2026112201L, rows.getLong(1));
    }
  }
}
