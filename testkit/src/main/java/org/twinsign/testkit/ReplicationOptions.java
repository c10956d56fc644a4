package org.twinsign.testkit;

import java.util.List;

/**
 * The {@code mariadbd} options that make a server fit for the pair, whether it runs as a local
 * process or in a container: row-based binary log with GTID in strict mode, the replica side of
 * semi-sync on, the primary side at wait point AFTER_SYNC.
 */
final class ReplicationOptions {
  private ReplicationOptions() {}

  /**
   * @param binlogBase the binary log's base name (a path, or a bare name inside the datadir)
   * @param semiSyncPrimary whether commits wait for a replica's acknowledgement; off on a replica,
   *     whose applied transactions must not wait for acknowledgements of its own
   */
  static List<String> of(String binlogBase, boolean semiSyncPrimary, long semiSyncTimeoutMillis) {
    return List.of(
        "--log-bin=" + binlogBase,
        "--binlog-format=ROW",
        "--log-slave-updates=ON",
        "--gtid-strict-mode=ON",
        "--sync-binlog=1",
        "--rpl-semi-sync-master-enabled=" + (semiSyncPrimary ? "ON" : "OFF"),
        "--rpl-semi-sync-slave-enabled=ON",
        "--rpl-semi-sync-master-wait-point=AFTER_SYNC",
        "--rpl-semi-sync-master-timeout=" + semiSyncTimeoutMillis);
  }
}
