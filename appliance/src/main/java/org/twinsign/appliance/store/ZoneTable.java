package org.twinsign.appliance.store;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** The {@code zone} table: a zone, its policy, its files and what the signer last did. */
public final class ZoneTable {
  private ZoneTable() {}

  /** One zone. {@code resignAt}: when the signer must next re-sign even if nothing changed. */
  public record ZoneRow(String name, String policy, Path input, Path output, Instant addedAt, boolean signNeeded,
      Instant signedAt, Long signedSerial, String inputDigest, Instant resignAt, String nsec3Salt,
      Instant nsec3SaltAt, boolean publishCds, List<String> parentServers) {}

  public static void insert(StoreTransaction tx, String name, String policy, Path input, Path output, Instant now,
      boolean publishCds, List<String> parentServers) {
    tx.update("INSERT INTO zone (name, policy, input_path, output_path, added_at, sign_needed, publish_cds,"
        + " parent_servers, epoch) VALUES (?, ?, ?, ?, ?, TRUE, ?, ?, ?)", name, policy, input.toString(),
        output.toString(), now, publishCds, parentServers.isEmpty() ? null : String.join(" ", parentServers),
        tx.epoch());
    tx.update("INSERT INTO enforcer_schedule (zone, due_at, reason, epoch) VALUES (?, ?, ?, ?)", name, now,
        "zone added", tx.epoch());
  }

  public static List<ZoneRow> all(StoreTransaction tx) {
    return tx.query("SELECT * FROM zone ORDER BY name", ZoneTable::row);
  }

  public static Optional<ZoneRow> find(StoreTransaction tx, String name) {
    return tx.query("SELECT * FROM zone WHERE name = ?", ZoneTable::row, name).stream().findFirst();
  }

  public static ZoneRow require(StoreTransaction tx, String name) {
    return find(tx, name).orElseThrow(() -> new StoreException("no zone '" + name
        + "': 'twinsign zone list' shows the zones; 'zone add' adds one"));
  }

  public static List<ZoneRow> ofPolicy(StoreTransaction tx, String policy) {
    return tx.query("SELECT * FROM zone WHERE policy = ? ORDER BY name", ZoneTable::row, policy);
  }

  public static void delete(StoreTransaction tx, String name) {
    tx.update("DELETE FROM zone WHERE name = ?", name);
  }

  public static void signNeeded(StoreTransaction tx, String name) {
    tx.update("UPDATE zone SET sign_needed = TRUE, epoch = ? WHERE name = ?", tx.epoch(), name);
  }

  public static void signed(StoreTransaction tx, String name, Instant at, long serial, String inputDigest,
      Instant resignAt, String salt, Instant saltAt) {
    tx.update("UPDATE zone SET sign_needed = FALSE, signed_at = ?, signed_serial = ?, input_digest = ?,"
        + " resign_at = ?, nsec3_salt = ?, nsec3_salt_at = ?, epoch = ? WHERE name = ?", at, serial, inputDigest,
        resignAt, salt, saltAt, tx.epoch(), name);
  }

  /** When the enforcer must next run for the zone, and why. */
  public static void schedule(StoreTransaction tx, String name, Instant due, String reason) {
    tx.update("UPDATE enforcer_schedule SET due_at = ?, reason = ?, epoch = ? WHERE zone = ?", due, reason,
        tx.epoch(), name);
  }

  public record Due(String zone, Instant at, String reason) {}

  public static List<Due> schedule(StoreTransaction tx) {
    return tx.query("SELECT zone, due_at, reason FROM enforcer_schedule ORDER BY zone",
        row -> new Due(row.getString("zone"), StoreTransaction.instant(row, "due_at"), row.getString("reason")));
  }

  private static ZoneRow row(java.sql.ResultSet row) throws java.sql.SQLException {
    Long serial = row.getObject("signed_serial") == null ? null : row.getLong("signed_serial");
    return new ZoneRow(row.getString("name"), row.getString("policy"), Path.of(row.getString("input_path")),
        Path.of(row.getString("output_path")), StoreTransaction.instant(row, "added_at"),
        row.getBoolean("sign_needed"), StoreTransaction.instant(row, "signed_at"),
        serial, row.getString("input_digest"), StoreTransaction.instant(row, "resign_at"),
        row.getString("nsec3_salt"), StoreTransaction.instant(row, "nsec3_salt_at"), row.getBoolean("publish_cds"),
        row.getString("parent_servers") == null ? List.of() : List.of(row.getString("parent_servers").split(" ")));
  }
}
