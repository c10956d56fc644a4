package org.twinsign.replication;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The role of one node's MariaDB server in the pair, and the statements that change it.
 *
 * <p>A primary is writable, logs with GTIDs and waits for the replica's acknowledgement of each
 * commit (semi-sync, wait point AFTER_SYNC, set here, not left to the server's default). Both
 * run with {@code gtid_strict_mode}, also set here: a GTID out of order stops replication instead
 * of silently diverging the two servers' histories, which the errant-transaction check relies on. A replica
 * is {@code read_only}, follows the primary by GTID ({@code MASTER_USE_GTID=current_pos}) and
 * acknowledges; its own semi-sync primary side is off, or each applied transaction would wait for
 * an acknowledgement nobody sends. Each operation leaves the server in one of those two shapes or
 * fails with a message naming the server and what to do. Stateless: every call opens its own
 * connection.
 */
public final class MariaDbRole {
  private final String name;
  private final ConnectionSource connections;

  /**
   * @param name how messages name this server (e.g. {@code "database of node beta (127.0.0.1:3307)"})
   */
  public MariaDbRole(String name, ConnectionSource connections) {
    this.name = name;
    this.connections = connections;
  }

  public String name() {
    return name;
  }

  public DatabaseStatus status() throws SQLException {
    try (Connection c = connections.open()) {
      return status(c);
    }
  }

  /**
   * How far the server's clock is from this process's: its {@code NOW(6)} minus the midpoint of the
   * query on the local clock (off by half the query's time, milliseconds). Replication does not
   * depend on it; the times the store records do ({@code NOW()} defaults, audit trails).
   */
  public java.time.Duration clockOffset() throws SQLException {
    try (Connection c = connections.open(); Statement s = c.createStatement()) {
      long before = System.currentTimeMillis();
      try (ResultSet r = s.executeQuery("SELECT UNIX_TIMESTAMP(NOW(6))")) {
        long after = System.currentTimeMillis();
        r.next();
        long server = r.getBigDecimal(1).movePointRight(3).longValue();
        return java.time.Duration.ofMillis(server - (before + after) / 2);
      }
    }
  }

  private DatabaseStatus status(Connection c) throws SQLException {
    Map<String, String> vars = pairs(c, "SELECT @@read_only, @@gtid_current_pos, @@gtid_binlog_pos,"
        + " @@rpl_semi_sync_master_enabled");
    Map<String, String> status = new HashMap<>();
    try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SHOW GLOBAL STATUS WHERE Variable_name IN"
        + " ('Rpl_semi_sync_master_status', 'Rpl_semi_sync_master_clients', 'Rpl_semi_sync_master_no_tx')")) {
      while (r.next()) {
        status.put(r.getString(1), r.getString(2));
      }
    }
    return new DatabaseStatus("1".equals(vars.get("@@read_only")), GtidPosition.parse(vars.get("@@gtid_current_pos")),
        GtidPosition.parse(vars.get("@@gtid_binlog_pos")), "1".equals(vars.get("@@rpl_semi_sync_master_enabled")),
        "ON".equalsIgnoreCase(status.get("Rpl_semi_sync_master_status")),
        Long.parseLong(status.getOrDefault("Rpl_semi_sync_master_clients", "0")),
        Long.parseLong(status.getOrDefault("Rpl_semi_sync_master_no_tx", "0")), replica(c));
  }

  /** The replica side, null when this server follows nobody. */
  private static DatabaseStatus.Replica replica(Connection c) throws SQLException {
    Map<String, String> threads = replicaThreads(c);
    String io = threads.get("Slave_IO");
    if (io != null && (io.contains("free space") || io.contains("disk space"))) {
      // SHOW SLAVE STATUS would block on the receiver's lock until space is freed
      return DatabaseStatus.Replica.diskFull(GtidPosition.parse(slavePos(c)), threads.containsKey("Slave_SQL"),
          pairs(c, "SELECT @@relay_log_basename").get("@@relay_log_basename"));
    }
    try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SHOW SLAVE STATUS")) {
      if (!r.next()) {
        return null;
      }
      String behind = r.getString("Seconds_Behind_Master");
      return new DatabaseStatus.Replica(r.getString("Master_Host"), r.getInt("Master_Port"),
          "Yes".equals(r.getString("Slave_IO_Running")), "Yes".equals(r.getString("Slave_SQL_Running")),
          GtidPosition.parse(r.getString("Gtid_IO_Pos")), GtidPosition.parse(slavePos(c)),
          behind == null ? null : Long.valueOf(behind), r.getString("Last_IO_Error"), r.getString("Last_SQL_Error"),
          false);
    }
  }

  /** The replica threads running now ({@code Slave_IO}, {@code Slave_SQL}) and their states, without replica locks. */
  private static Map<String, String> replicaThreads(Connection c) throws SQLException {
    Map<String, String> threads = new HashMap<>();
    try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT COMMAND, STATE FROM"
        + " information_schema.PROCESSLIST WHERE COMMAND IN ('Slave_IO', 'Slave_SQL')")) {
      while (r.next()) {
        threads.put(r.getString(1), String.valueOf(r.getString(2)));
      }
    }
    return threads;
  }

  private static String slavePos(Connection c) throws SQLException {
    return pairs(c, "SELECT @@gtid_slave_pos").get("@@gtid_slave_pos");
  }

  /**
   * Makes this server the primary: the replica stops receiving, applies everything it received
   * (within {@code catchUp}), forgets its primary, acknowledges nobody, and becomes writable with
   * semi-sync waits on. Idempotent: on a primary it only (re)sets the primary's settings.
   *
   * @throws IllegalStateException when what was received is not applied within {@code catchUp}:
   *     promoting then would lose acknowledged transactions
   */
  public GtidPosition promote(Duration catchUp) throws SQLException {
    try (Connection c = connections.open()) {
      DatabaseStatus before = status(c);
      if (before.replica() != null && before.replica().diskFull()) {
        // STOP SLAVE would wait on a receiver that looks at the disk once a minute
        throw new IllegalStateException(name + ": " + before.replica().lastIoError() + "; not promoted: what it"
            + " received may not all be in its relay log");
      }
      if (before.replica() != null) {
        execute(c, "STOP SLAVE IO_THREAD");
        GtidPosition received = status(c).replica().received();
        // gtid_current_pos, not gtid_slave_pos: events of this server's own id that come back from
        // the primary are skipped, never applied, yet were received; its own binary log has them
        long deadline = System.nanoTime() + catchUp.toNanos();
        DatabaseStatus now = status(c);
        while (!now.current().covers(received)) {
          if (System.nanoTime() > deadline) {
            execute(c, "START SLAVE IO_THREAD"); // not promoted: it goes on receiving as before
            throw new IllegalStateException(name + " has not applied all it received (" + received + "; it has "
                + now.current() + (now.replica() == null || now.replica().lastSqlError() == null
                    || now.replica().lastSqlError().isEmpty() ? "" : "; SQL thread error: "
                    + now.replica().lastSqlError()) + ") within " + catchUp.toSeconds()
                + " s: not promoted, since that would lose acknowledged transactions");
          }
          try {
            Thread.sleep(20);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while " + name + " caught up");
          }
          now = status(c);
        }
        execute(c, "STOP SLAVE", "RESET SLAVE ALL");
      }
      execute(c, "SET GLOBAL gtid_strict_mode = ON",
          "SET GLOBAL rpl_semi_sync_master_wait_point = AFTER_SYNC",
          // no semi-sync replica connected (after a failover the old master is gone): commit at once,
          // unacknowledged (the standby is marked not eligible before such a commit counts), instead of
          // the first commit waiting out the whole timeout
          "SET GLOBAL rpl_semi_sync_master_wait_no_slave = OFF",
          "SET GLOBAL rpl_semi_sync_slave_enabled = OFF",
          "SET GLOBAL rpl_semi_sync_master_enabled = ON",
          "SET GLOBAL read_only = OFF");
      return status(c).current();
    }
  }

  /**
   * Makes this server a replica of {@code source}, whose current position is {@code primaryAt}:
   * read-only first, then follows it by GTID and acknowledges its commits.
   *
   * @throws ErrantTransactionsException when this server has transactions the primary lacks; it
   *     is left read-only and not following, for {@code twinsign node rebuild}
   */
  public void follow(ReplicationSource source, GtidPosition primaryAt) throws SQLException {
    follow(source, primaryAt, null);
  }

  /**
   * As {@link #follow(ReplicationSource, GtidPosition)}, also refusing what lies beyond
   * {@code fork}: the position the primary had when it took over from this server. Comparing with
   * the primary's latest position alone misses a transaction this server committed last (not
   * acknowledged) whose sequence number the new primary has since passed with its own.
   */
  public void follow(ReplicationSource source, GtidPosition primaryAt, GtidPosition fork) throws SQLException {
    try (Connection c = connections.open()) {
      execute(c, "SET GLOBAL read_only = ON");
      DatabaseStatus now = status(c);
      String errant = now.current().errantAgainst(primaryAt);
      if (errant.isEmpty() && fork != null) {
        errant = now.current().errantAgainst(fork);
      }
      if (!errant.isEmpty()) {
        throw new ErrantTransactionsException(name + " has transactions its new primary " + source + " does not: "
            + errant + ". It cannot rejoin as a replica; run 'twinsign node rebuild' on this node to clone the"
            + " primary's database (it stays read-only until then)");
      }
      execute(c, "STOP SLAVE",
          "SET GLOBAL gtid_strict_mode = ON",
          "SET GLOBAL rpl_semi_sync_master_enabled = OFF",
          "SET GLOBAL rpl_semi_sync_slave_enabled = ON");
      try (PreparedStatement change = c.prepareStatement("CHANGE MASTER TO MASTER_HOST = ?, MASTER_PORT = ?,"
          + " MASTER_USER = ?, MASTER_PASSWORD = ?, MASTER_USE_GTID = current_pos, MASTER_CONNECT_RETRY = 1")) {
        change.setString(1, source.host());
        change.setInt(2, source.port());
        change.setString(3, source.user());
        change.setString(4, new String(source.password()));
        change.execute();
      } catch (SQLException e) {
        throw new SQLException(name + ": CHANGE MASTER TO " + source + " failed: " + e.getSQLState() + " "
            + e.getErrorCode(), e.getSQLState(), e.getErrorCode()); // the statement holds the password: not its text
      }
      execute(c, "START SLAVE");
    }
  }

  /**
   * Prepares this server to be loaded with a clone of its primary's {@code schema}: read-only, not
   * replicating, its binary log and GTID state reset (transactions only it had are forgotten),
   * the schema dropped.
   */
  public void resetForClone(String schema) throws SQLException {
    try (Connection c = connections.open()) {
      execute(c, "SET GLOBAL read_only = ON", "STOP SLAVE", "RESET SLAVE ALL", "RESET MASTER",
          "SET GLOBAL gtid_slave_pos = ''", "SET GLOBAL rpl_semi_sync_master_enabled = OFF");
      try (Statement s = c.createStatement()) {
        s.execute("SET SESSION sql_log_bin = 0");
        s.execute("DROP DATABASE IF EXISTS `" + schema.replace("`", "") + "`");
      }
    }
  }

  /** After a clone: replicate from {@code source} starting at {@code at}, the clone's position. */
  public void startFrom(GtidPosition at, ReplicationSource source) throws SQLException {
    try (Connection c = connections.open()) {
      try (PreparedStatement set = c.prepareStatement("SET GLOBAL gtid_slave_pos = ?")) {
        set.setString(1, at.toString());
        set.execute();
      }
    }
    follow(source, at);
  }

  /**
   * Fences this server as a primary that must not take writes any more: {@code read_only=ON}, then
   * every client session of {@code users} is killed, so that a transaction already open on it
   * cannot commit. Replication and administrative sessions stay.
   *
   * @return how many sessions were killed
   */
  public int fence(List<String> users) throws SQLException {
    try (Connection c = connections.open()) {
      execute(c, "SET GLOBAL read_only = ON");
      List<Long> ids = new ArrayList<>();
      try (PreparedStatement s = c.prepareStatement("SELECT ID, USER FROM information_schema.PROCESSLIST"
          + " WHERE ID <> CONNECTION_ID()")) {
        try (ResultSet r = s.executeQuery()) {
          while (r.next()) {
            if (users.contains(r.getString(2))) {
              ids.add(r.getLong(1));
            }
          }
        }
      }
      int killed = 0;
      for (long id : ids) {
        try {
          execute(c, "KILL CONNECTION " + id);
          killed++;
        } catch (SQLException e) {
          if (e.getErrorCode() != 1094) { // ER_NO_SUCH_THREAD: it ended by itself
            throw e;
          }
        }
      }
      return killed;
    }
  }

  private static void execute(Connection c, String... statements) throws SQLException {
    try (Statement s = c.createStatement()) {
      for (String sql : statements) {
        s.execute(sql);
      }
    }
  }

  private static Map<String, String> pairs(Connection c, String sql) throws SQLException {
    Map<String, String> values = new HashMap<>();
    try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
      if (r.next()) {
        for (int i = 1; i <= r.getMetaData().getColumnCount(); i++) {
          values.put(r.getMetaData().getColumnLabel(i), r.getString(i));
        }
      }
    }
    return values;
  }
}
