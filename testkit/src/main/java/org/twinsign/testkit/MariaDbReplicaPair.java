package org.twinsign.testkit;

import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A MariaDB primary and a replica joined by GTID replication ({@code MASTER_USE_GTID=slave_pos})
 * with semi-sync at wait point AFTER_SYNC: a commit on the primary returns only after the replica
 * has the transaction in its relay log.
 *
 * <p>{@link #start()} returns once the replica's I/O and SQL threads run and the primary reports
 * semi-sync ON with one semi-sync client.
 */
public final class MariaDbReplicaPair implements AutoCloseable {
  /** The replication account; its password lives only in this object and the replica's master.info. */
  public static final String REPLICATION_USER = "repl";
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);

  private final MariaDb primary;
  private final MariaDb replica;
  private final AutoCloseable network;

  private MariaDbReplicaPair(MariaDb primary, MariaDb replica, AutoCloseable network) {
    this.primary = primary;
    this.replica = replica;
    this.network = network;
  }

  /** Starts both servers in temporary directories with a 10 s semi-sync timeout. */
  public static MariaDbReplicaPair start() {
    return start(Duration.ofSeconds(10));
  }

  /**
   * Starts both servers: containers where a Docker engine answers ({@link DockerEngine}),
   * otherwise local {@code mariadbd} processes in temporary directories.
   */
  public static MariaDbReplicaPair start(Duration semiSyncTimeout) {
    return DockerEngine.available() ? startContainers(semiSyncTimeout) : startLocal(semiSyncTimeout);
  }

  /** Starts both servers as local {@code mariadbd} processes, whatever the host has. */
  public static MariaDbReplicaPair startLocal(Duration semiSyncTimeout) {
    MariaDbServer primary = MariaDbServer.builder().name("primary").replicationReady(1).semiSyncPrimary()
        .semiSyncTimeout(semiSyncTimeout).start();
    MariaDbServer replica = null;
    try {
      replica = MariaDbServer.builder().name("replica").replicationReady(2).semiSyncTimeout(semiSyncTimeout).start();
    } catch (RuntimeException e) {
      primary.close();
      throw e;
    }
    return connected(new MariaDbReplicaPair(primary, replica, () -> { }));
  }

  private static MariaDbReplicaPair startContainers(Duration semiSyncTimeout) {
    org.testcontainers.containers.Network network = org.testcontainers.containers.Network.newNetwork();
    MariaDbContainer primary = null;
    try {
      primary = MariaDbContainer.start("primary", network, 1, true, semiSyncTimeout);
      MariaDbContainer replica = MariaDbContainer.start("replica", network, 2, false, semiSyncTimeout);
      return connected(new MariaDbReplicaPair(primary, replica, network::close));
    } catch (RuntimeException e) {
      if (primary != null) {
        primary.close();
      }
      network.close();
      throw e;
    }
  }

  private static MariaDbReplicaPair connected(MariaDbReplicaPair pair) {
    try {
      pair.connect();
      return pair;
    } catch (SQLException | RuntimeException e) {
      pair.close();
      if (e instanceof RuntimeException) {
        throw (RuntimeException) e;
      }
      throw new IllegalStateException("cannot set up replication: " + e.getMessage(), e);
    }
  }

  public MariaDb primary() {
    return primary;
  }

  public MariaDb replica() {
    return replica;
  }

  /** The primary's semi-sync state as it reports it. */
  public SemiSyncStatus semiSyncStatus() throws SQLException {
    return new SemiSyncStatus(
        "ON".equalsIgnoreCase(primary.globalStatus("Rpl_semi_sync_master_status")),
        Long.parseLong(primary.globalStatus("Rpl_semi_sync_master_clients")),
        Long.parseLong(primary.globalStatus("Rpl_semi_sync_master_yes_tx")),
        Long.parseLong(primary.globalStatus("Rpl_semi_sync_master_no_tx")),
        primary.queryString("SELECT @@rpl_semi_sync_master_wait_point"));
  }

  /** The primary's binary log position as a GTID list ({@code @@gtid_binlog_pos}). */
  public String primaryGtidPosition() throws SQLException {
    return primary.queryString("SELECT @@gtid_binlog_pos");
  }

  /** The replica's {@code SHOW SLAVE STATUS} as column name → value. */
  public Map<String, String> replicaStatus() throws SQLException {
    try (Connection connection = replica.rootConnection(); Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery("SHOW SLAVE STATUS")) {
      Map<String, String> status = new LinkedHashMap<>();
      if (rows.next()) {
        for (int i = 1; i <= rows.getMetaData().getColumnCount(); i++) {
          status.put(rows.getMetaData().getColumnLabel(i), rows.getString(i));
        }
      }
      return status;
    }
  }

  /** The GTID position the replica has received into its relay log (not necessarily applied yet). */
  public String replicaReceivedGtidPosition() throws SQLException {
    return replicaStatus().get("Gtid_IO_Pos");
  }

  /** Waits until the replica has applied everything the primary has logged. */
  public void awaitReplicaApplied(Duration timeout) throws SQLException {
    String position = primaryGtidPosition();
    try (Connection connection = replica.rootConnection();
        var statement = connection.prepareStatement("SELECT MASTER_GTID_WAIT(?, ?)")) {
      statement.setString(1, position);
      statement.setDouble(2, timeout.toMillis() / 1000.0);
      try (ResultSet rows = statement.executeQuery()) {
        rows.next();
        if (rows.getInt(1) != 0) {
          throw new IllegalStateException("replica did not apply GTID position " + position + " within " + timeout
              + "; replica status: " + replicaStatus());
        }
      }
    }
  }

  /**
   * Stops both servers at the same time (a stop takes as long as the slower one, not the sum of
   * two graceful shutdowns) and removes their directories.
   */
  @Override
  public void close() {
    Thread replicaStop = new Thread(replica::close, "twinsign-replica-stop");
    replicaStop.start();
    try {
      primary.close();
    } finally {
      try {
        replicaStop.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        try {
          network.close();
        } catch (Exception e) {
          // the network goes with the containers; nothing else to release
        }
      }
    }
  }

  @Override
  public String toString() {
    return "MariaDB pair: primary " + primary + ", replica " + replica;
  }

  private void connect() throws SQLException {
    byte[] secret = new byte[16];
    new SecureRandom().nextBytes(secret);
    String password = HexFormat.of().formatHex(secret);
    // not written to the binary log: both servers get the account before replication starts
    for (MariaDb server : new MariaDb[] {primary, replica}) {
      String account = "'" + REPLICATION_USER + "'@'" + server.replicationClientHost() + "'";
      server.execute("SET SESSION sql_log_bin = 0",
          "CREATE USER " + account + " IDENTIFIED BY '" + password + "'",
          "GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO " + account);
    }
    replica.execute("CHANGE MASTER TO MASTER_HOST = '" + primary.replicationHost() + "', MASTER_PORT = "
        + primary.replicationPort()
        + ", MASTER_USER = '" + REPLICATION_USER + "', MASTER_PASSWORD = '" + password + "'"
        + ", MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 1",
        "START SLAVE");
    awaitConnected();
  }

  private void awaitConnected() throws SQLException {
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      Map<String, String> status = replicaStatus();
      if (!status.getOrDefault("Last_IO_Error", "").isEmpty() && "No".equals(status.get("Slave_IO_Running"))) {
        throw new IllegalStateException("replica cannot connect to the primary: " + status.get("Last_IO_Error"));
      }
      SemiSyncStatus semiSync = semiSyncStatus();
      if ("Yes".equals(status.get("Slave_IO_Running")) && "Yes".equals(status.get("Slave_SQL_Running"))
          && semiSync.on() && semiSync.clients() >= 1) {
        return;
      }
      MariaDbServer.sleep(50);
    }
    throw new IllegalStateException("replication did not come up within " + READY_TIMEOUT + ": replica status "
        + replicaStatus() + ", primary semi-sync " + semiSyncStatus());
  }

  /** What the primary says of semi-sync. */
  public record SemiSyncStatus(boolean on, long clients, long yesTransactions, long noTransactions,
      String waitPoint) {}
}
