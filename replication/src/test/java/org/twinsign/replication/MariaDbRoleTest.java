package org.twinsign.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.twinsign.testkit.MariaDb;
import org.twinsign.testkit.MariaDbReplicaPair;

/** Promotion, rejoin, the errant-transaction check and fencing against two real mariadbd servers. */
class MariaDbRoleTest {
  private static final char[] REPL = "test-replication-secret".toCharArray();
  private MariaDbReplicaPair pair;
  private MariaDbRole a;
  private MariaDbRole b;

  @BeforeEach
  void start() throws SQLException {
    pair = MariaDbReplicaPair.startLocal(Duration.ofSeconds(2));
    for (MariaDb server : List.of(pair.primary(), pair.replica())) {
      server.execute("SET SESSION sql_log_bin = 0",
          "CREATE USER 'twin'@'%' IDENTIFIED BY 'twin'", "GRANT ALL ON app.* TO 'twin'@'%'",
          "CREATE USER 'repl2'@'%' IDENTIFIED BY '" + new String(REPL) + "'",
          "GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'repl2'@'%'");
    }
    pair.primary().execute("CREATE DATABASE app", "CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(20))",
        "INSERT INTO app.t VALUES (1, 'one'), (2, 'two')");
    pair.awaitReplicaApplied(Duration.ofSeconds(10));
    a = new MariaDbRole("database A", pair.primary()::rootConnection);
    b = new MariaDbRole("database B", pair.replica()::rootConnection);
  }

  @AfterEach
  void stop() {
    pair.close();
  }

  private static ReplicationSource source(MariaDb server) {
    return new ReplicationSource(server.replicationHost(), server.replicationPort(), "repl2", REPL.clone());
  }

  private static Connection app(MariaDb server) throws SQLException {
    return DriverManager.getConnection(server.jdbcUrl("app"), "twin", "twin");
  }

  @Test
  void theReplicaIsPromotedWithEverythingAndTheOldPrimaryRejoinsIt() throws Exception {
    for (MariaDb server : List.of(pair.primary(), pair.replica())) {
      server.execute("SET GLOBAL gtid_strict_mode = OFF"); // a server configured without it
    }
    DatabaseStatus before = b.status();
    assertTrue(before.readOnly() || before.replica() != null);
    assertNotNull(before.replica());
    assertTrue(before.replica().healthy(), before.toString());
    assertTrue(a.status().primary());
    assertTrue(a.status().semiSyncPrimaryActive(), "semi-sync acknowledged by the replica");

    a.fence(List.of("twin"));
    b.promote(Duration.ofSeconds(10));
    DatabaseStatus promoted = b.status();
    assertTrue(promoted.primary(), promoted.toString());
    assertNull(promoted.replica());
    assertTrue(promoted.semiSyncPrimaryEnabled());
    assertTrue(promoted.current().covers(a.status().current()), "nothing acknowledged is lost");
    assertEquals("1", pair.replica().queryString("SELECT @@gtid_strict_mode"), "set by the promotion");

    a.follow(source(pair.replica()), promoted.current());
    try (Connection c = app(pair.replica()); Statement s = c.createStatement()) {
      s.execute("INSERT INTO t VALUES (3, 'three')"); // on the new primary
    }
    DatabaseStatus rejoined = awaitApplied(a, b.status().current());
    assertTrue(rejoined.readOnly() && rejoined.replica().healthy(), rejoined.toString());
    assertFalse(rejoined.semiSyncPrimaryEnabled(), "a replica waits for no acknowledgement");
    assertEquals("1", pair.primary().queryString("SELECT @@gtid_strict_mode"), "set by the rejoin");
    assertEquals("three", pair.primary().queryString("SELECT v FROM app.t WHERE id = 3"));
    // and the new primary's commits are acknowledged by the old one again
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!(b.status().semiSyncPrimaryActive() && b.status().semiSyncReplicas() >= 1)
        && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertTrue(b.status().semiSyncPrimaryActive(), b.status().toString());
  }

  @Test
  void anOldPrimaryWithTransactionsTheNewOneLacksIsRefused() throws Exception {
    pair.replica().execute("STOP SLAVE");
    pair.primary().execute("SET GLOBAL rpl_semi_sync_master_timeout = 200");
    pair.primary().execute("INSERT INTO app.t VALUES (9, 'lost')"); // never reached B: acknowledged by nobody
    b.promote(Duration.ofSeconds(10));
    ErrantTransactionsException refused = assertThrows(ErrantTransactionsException.class,
        () -> a.follow(source(pair.replica()), b.status().current()));
    assertTrue(refused.getMessage().contains("twinsign node rebuild") && refused.getMessage().contains("database A"),
        refused.getMessage());
    assertFalse(refused.getMessage().contains(new String(REPL)));
    DatabaseStatus left = a.status();
    assertTrue(left.readOnly() && left.replica() == null, "left read-only and not following: " + left);
  }

  @Test
  void fencingMakesTheOldPrimaryReadOnlyAndEndsItsClientSessions() throws Exception {
    try (Connection open = app(pair.primary()); Statement s = open.createStatement()) {
      open.setAutoCommit(false);
      s.execute("INSERT INTO t VALUES (5, 'in flight')");
      assertEquals(1, a.fence(List.of("twin")));
      assertThrows(SQLException.class, open::commit, "the open transaction cannot commit");
    }
    try (Connection late = app(pair.primary()); Statement s = late.createStatement()) {
      SQLException refused = assertThrows(SQLException.class, () -> s.execute("INSERT INTO t VALUES (6, 'late')"));
      assertTrue(refused.getMessage().contains("read-only") || refused.getMessage().contains("read_only"),
          refused.getMessage());
    }
    assertEquals("0", pair.primary().queryString("SELECT COUNT(*) FROM app.t WHERE id IN (5, 6)"));
  }

  private static DatabaseStatus awaitApplied(MariaDbRole role, GtidPosition target) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    DatabaseStatus status = role.status();
    while (!status.current().covers(target) && System.nanoTime() < deadline) {
      Thread.sleep(50);
      status = role.status();
    }
    assertTrue(status.current().covers(target), status + " did not reach " + target);
    return status;
  }
}
