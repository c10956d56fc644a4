package org.twinsign.appliance.store;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** The {@code backup} table: each backup of a repository, from {@code prepare} to {@code commit} or {@code rollback}. */
public final class BackupTable {
  private BackupTable() {}

  public record BackupRow(long id, String repository, Instant preparedAt, int keysPrepared, Instant finishedAt,
      String outcome) {}

  public static void prepared(StoreTransaction tx, String repository, Instant now, int keys) {
    tx.update("INSERT INTO backup (repository, prepared_at, keys_prepared, epoch) VALUES (?, ?, ?, ?)", repository,
        now, keys, tx.epoch());
  }

  /** The backup of {@code repository} that is prepared and not finished, if any. */
  public static Optional<BackupRow> open(StoreTransaction tx, String repository) {
    return tx.query("SELECT * FROM backup WHERE repository = ? AND finished_at IS NULL ORDER BY id DESC LIMIT 1",
        BackupTable::row, repository).stream().findFirst();
  }

  public static void finish(StoreTransaction tx, long id, Instant now, String outcome) {
    tx.update("UPDATE backup SET finished_at = ?, outcome = ?, epoch = ? WHERE id = ?", now, outcome, tx.epoch(), id);
  }

  public static Optional<BackupRow> lastCommitted(StoreTransaction tx, String repository) {
    return tx.query("SELECT * FROM backup WHERE repository = ? AND outcome = 'committed' ORDER BY id DESC LIMIT 1",
        BackupTable::row, repository).stream().findFirst();
  }

  public static List<BackupRow> all(StoreTransaction tx) {
    return tx.query("SELECT * FROM backup ORDER BY id", BackupTable::row);
  }

  private static BackupRow row(java.sql.ResultSet row) throws java.sql.SQLException {
    return new BackupRow(row.getLong("id"), row.getString("repository"), StoreTransaction.instant(row, "prepared_at"),
        row.getInt("keys_prepared"), StoreTransaction.instant(row, "finished_at"), row.getString("outcome"));
  }
}
