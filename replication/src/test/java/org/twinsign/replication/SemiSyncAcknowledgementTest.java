package org.twinsign.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.twinsign.testkit.MariaDbReplicaPair;

/** The synchronous-standby rule against a real primary and replica. */
class SemiSyncAcknowledgementTest {
  private MariaDbReplicaPair pair;
  private final List<String> marks = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    pair = MariaDbReplicaPair.startLocal(Duration.ofMillis(500));
    pair.primary().execute("CREATE DATABASE app", "CREATE TABLE app.t (id INT PRIMARY KEY)");
  }

  @AfterEach
  void stop() {
    pair.close();
  }

  private void commit(SemiSyncAcknowledgement ack, int id) throws Exception {
    try (Connection c = pair.primary().rootConnection(); Statement s = c.createStatement()) {
      s.execute("INSERT INTO app.t VALUES (" + id + ")");
      ack.afterCommit(c);
    }
  }

  @Test
  void anUnacknowledgedCommitMarksTheStandbyNotEligibleBeforeItCounts() throws Exception {
    SemiSyncAcknowledgement ack = new SemiSyncAcknowledgement(marks::add);
    commit(ack, 1);
    commit(ack, 2);
    assertEquals(List.of(), marks, "acknowledged by the replica: nothing to mark");

    pair.replica().execute("STOP SLAVE"); // the standby stops acknowledging
    commit(ack, 3); // waits the semi-sync timeout, then commits without acknowledgement
    assertEquals(1, marks.size(), marks.toString());
    assertTrue(marks.get(0).contains("semi-sync"), marks.get(0));

    SemiSyncAcknowledgement failing = new SemiSyncAcknowledgement(why -> {
      throw new IllegalStateException("ZooKeeper unreachable");
    });
    assertThrows(IllegalStateException.class, () -> commit(failing, 4),
        "a commit that the standby lacks and that could not be recorded does not count as done");
  }
}
