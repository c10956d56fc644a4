package org.twinsign.appliance.store;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.twinsign.appliance.dnssec.KeyRole;
import org.twinsign.appliance.enforcer.DsAtParent;
import org.twinsign.appliance.enforcer.KeyState;
import org.twinsign.appliance.enforcer.RecordState;
import org.twinsign.appliance.enforcer.RecordType;

/**
 * The {@code hsm_key} and {@code zone_key} tables: every key generated in a repository (those no
 * zone uses are the key pool), and each key's use in a zone with its record states.
 */
public final class KeyTable {
  private KeyTable() {}

  /** Backup state of a key in its repository. */
  public enum Backup { UNBACKED, PREPARED, BACKED_UP }

  /**
   * A key in a repository. {@code heldBy}: the nodes whose HSM was found to hold it (key sync's
   * publication gate, {@link WrappedKeyTable}).
   */
  public record HsmKeyRow(long id, String repository, String locator, KeyRole role, int algorithm, int bits,
      byte[] publicKey, String policy, Instant createdAt, Backup backup, Instant backupChangedAt, boolean lost,
      java.util.Set<String> heldBy) {}

  /** A zone's key: the enforcer's view and the key behind it. */
  public record StoredKey(String zone, KeyState state, HsmKeyRow hsm) {}

  public static long insertHsmKey(StoreTransaction tx, String repository, String locator, KeyRole role,
      int algorithm, int bits, byte[] publicKey, String policy, Instant now) {
    return tx.insert("INSERT INTO hsm_key (repository, locator, role, algorithm, bits, public_key, policy, created_at,"
        + " backup, backup_changed_at, epoch) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'unbacked', ?, ?)", repository, locator,
        role.name(), algorithm, bits, publicKey, policy, now, now, tx.epoch());
  }

  static final String HSM_COLUMNS = "h.id, h.repository, h.locator, h.role, h.algorithm, h.bits,"
      + " h.public_key, h.policy, h.created_at, h.backup, h.backup_changed_at, h.lost,"
      + " (SELECT GROUP_CONCAT(n.node) FROM key_on_node n WHERE n.hsm_key = h.id) AS h_held_by";

  /** How many keys the pool (keys used by no zone) has that fit: of the algorithm, and for RSA ({@code bits} above 0) of that size. */
  public static long poolCount(StoreTransaction tx, String repository, KeyRole role, int algorithm, int bits) {
    return tx.query("SELECT COUNT(*) FROM hsm_key h WHERE h.repository = ? AND h.role = ? AND h.algorithm = ?"
        + " AND (? = 0 OR h.bits = ?) AND h.lost = FALSE AND h.retired_at IS NULL"
        + " AND NOT EXISTS (SELECT 1 FROM zone_key z WHERE z.hsm_key = h.id)", r -> r.getLong(1), repository,
        role.name(), algorithm, bits, bits).get(0);
  }

  /** When the newest key of the pool's kind was generated (in a zone's use since, or not), or null if none was. */
  public static Instant lastGenerated(StoreTransaction tx, String repository, KeyRole role, int algorithm, int bits) {
    return tx.query("SELECT MAX(h.created_at) AS created_at FROM hsm_key h WHERE h.repository = ? AND h.role = ?"
        + " AND h.algorithm = ? AND (? = 0 OR h.bits = ?)", r -> StoreTransaction.instant(r, "created_at"),
        repository, role.name(), algorithm, bits, bits).get(0);
  }

  /** How many of the pool's keys ({@link #poolCount}) are backed up. */
  public static long poolBackedUpCount(StoreTransaction tx, String repository, KeyRole role, int algorithm,
      int bits) {
    return tx.query("SELECT COUNT(*) FROM hsm_key h WHERE h.repository = ? AND h.role = ? AND h.algorithm = ?"
        + " AND (? = 0 OR h.bits = ?) AND h.lost = FALSE AND h.retired_at IS NULL AND h.backup = 'backed_up'"
        + " AND NOT EXISTS (SELECT 1 FROM zone_key z WHERE z.hsm_key = h.id)", r -> r.getLong(1), repository,
        role.name(), algorithm, bits, bits).get(0);
  }

  /** A pool's size: keys used by no zone, per repository, role and algorithm. */
  public record PoolSize(String repository, String role, int algorithm, long keys) {}

  /** Every pool's size (for the node's metrics). */
  public static List<PoolSize> poolSizes(StoreTransaction tx) {
    return tx.query("SELECT h.repository, h.role, h.algorithm, COUNT(*) AS n FROM hsm_key h WHERE h.lost = FALSE AND"
        + " h.retired_at IS NULL AND NOT EXISTS (SELECT 1 FROM zone_key z WHERE z.hsm_key = h.id) GROUP BY"
        + " h.repository, h.role, h.algorithm", r -> new PoolSize(r.getString(1), r.getString(2), r.getInt(3),
            r.getLong(4)));
  }

  /**
   * The first {@code limit} pool keys (used by no zone) for a role and algorithm (for RSA, {@code
   * bits} above 0, of that size) in a repository, in the order they are taken: backed-up ones first,
   * oldest first.
   */
  public static List<HsmKeyRow> pool(StoreTransaction tx, String repository, KeyRole role, int algorithm, int bits,
      int limit) {
    return tx.query("SELECT " + HSM_COLUMNS + " FROM hsm_key h WHERE h.repository = ? AND h.role = ?"
        + " AND h.algorithm = ? AND (? = 0 OR h.bits = ?) AND h.lost = FALSE AND h.retired_at IS NULL"
        + " AND NOT EXISTS (SELECT 1 FROM zone_key z WHERE z.hsm_key = h.id)"
        + " ORDER BY h.backup = 'backed_up' DESC, h.created_at, h.id LIMIT ?", KeyTable::hsmRow, repository,
        role.name(), algorithm, bits, bits, limit);
  }


  public static List<HsmKeyRow> hsmKeys(StoreTransaction tx, String repository) {
    return tx.query("SELECT " + HSM_COLUMNS + " FROM hsm_key h WHERE h.repository = ? ORDER BY h.id",
        KeyTable::hsmRow, repository);
  }

  /** Whether some zone uses the key. */
  public static boolean inUse(StoreTransaction tx, long hsmKey) {
    return !tx.query("SELECT 1 FROM zone_key WHERE hsm_key = ? LIMIT 1", row -> 1, hsmKey).isEmpty();
  }

  /**
   * Takes a pool key for a zone in the zone's commit: locks its row and checks that no other zone
   * took it since the run read the pool; if one did, the run starts over.
   */
  public static void claimPoolKey(StoreTransaction tx, long id) {
    if (!lock(tx, id) || inUse(tx, id)) {
      throw new ZoneTable.ZoneMovedException("pool key " + id + " was taken by another zone (or deleted) while this run"
          + " worked");
    }
  }

  /** A key whose zone was deleted: kept in its repository, never back in the pool, purged later. */
  public static void retire(StoreTransaction tx, long id, String zone, Instant now) {
    tx.update("UPDATE hsm_key SET retired_at = ?, retired_zone = ?, epoch = ? WHERE id = ?", now, zone, tx.epoch(),
        id);
  }

  /** A retired key: when and whose, and the policy that made it (whose Purge applies). */
  public record RetiredKey(long id, String repository, String locator, String policy, String zone, Instant retiredAt,
      boolean lost) {}

  public static List<RetiredKey> retired(StoreTransaction tx) {
    return tx.query("SELECT id, repository, locator, policy, retired_zone, retired_at, lost FROM hsm_key"
        + " WHERE retired_at IS NOT NULL ORDER BY retired_at, id", row -> new RetiredKey(row.getLong("id"),
            row.getString("repository"), row.getString("locator"), row.getString("policy"),
            row.getString("retired_zone"), StoreTransaction.instant(row, "retired_at"), row.getBoolean("lost")));
  }

  public static void deleteHsmKey(StoreTransaction tx, long id) {
    tx.update("DELETE FROM hsm_key WHERE id = ?", id);
  }

  /** Marks a key lost from its repository, or found again. */
  public static void markLost(StoreTransaction tx, long id, boolean lost) {
    tx.update("UPDATE hsm_key SET lost = ?, epoch = ? WHERE id = ?", lost, tx.epoch(), id);
  }

  /** The zone's keys (or every zone's, if zone is null), oldest first. */
  public static List<StoredKey> zoneKeys(StoreTransaction tx, String zone) {
    return tx.query("SELECT z.*, " + HSM_COLUMNS + " FROM zone_key z JOIN hsm_key h ON h.id = z.hsm_key"
        + (zone == null ? "" : " WHERE z.zone = ?") + " ORDER BY z.zone, z.assigned_at, z.id", KeyTable::stored,
        zone == null ? new Object[0] : new Object[] {zone});
  }

  /** Writes a zone's keys after an enforcer run: updates known ones, inserts new ones (id 0). */
  public static void save(StoreTransaction tx, String zone, List<KeyState> keys, java.util.Map<KeyState, Long> hsmIds) {
    for (KeyState key : keys) {
      Object[] states = new Object[8];
      RecordType[] types = RecordType.values();
      for (int i = 0; i < types.length; i++) {
        states[2 * i] = key.has(types[i]) ? key.state(types[i]) : null;
        states[2 * i + 1] = key.has(types[i]) ? key.since(types[i]) : null;
      }
      if (key.id() == 0) {
        tx.update("INSERT INTO zone_key (zone, hsm_key, role, key_tag, introducing, assigned_at, retired_at, active_at,"
            + " ds_state, ds_since, dnskey_state, dnskey_since, rrsig_dnskey_state, rrsig_dnskey_since, rrsig_state,"
            + " rrsig_since, ds_at_parent, ds_at_parent_since, rollover_requested, emergency, retire_held,"
            + " parent_seen_since, epoch) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            zone, hsmIds.get(key),
            key.role().name(), key.keyTag(), key.introducing(), key.createdAt(), key.retiredAt(), key.activeAt(),
            states[0], states[1], states[2], states[3], states[4], states[5], states[6], states[7], key.dsAtParent(),
            key.dsAtParentSince(), key.rolloverRequested(), key.emergency(), key.retireHeld(), key.parentSeenSince(),
            tx.epoch());
      } else {
        tx.update("UPDATE zone_key SET introducing = ?, retired_at = ?, active_at = ?, ds_state = ?, ds_since = ?,"
            + " dnskey_state = ?, dnskey_since = ?, rrsig_dnskey_state = ?, rrsig_dnskey_since = ?, rrsig_state = ?,"
            + " rrsig_since = ?, ds_at_parent = ?, ds_at_parent_since = ?, rollover_requested = ?, emergency = ?,"
            + " retire_held = ?, parent_seen_since = ?, epoch = ? WHERE id = ?", key.introducing(), key.retiredAt(),
            key.activeAt(), states[0], states[1], states[2], states[3], states[4], states[5], states[6], states[7],
            key.dsAtParent(), key.dsAtParentSince(), key.rolloverRequested(), key.emergency(), key.retireHeld(),
            key.parentSeenSince(), tx.epoch(), key.id());
      }
    }
  }

  /**
   * Locks the key's row until the transaction ends (READ COMMITTED: what follows sees the others'
   * commits); false if there is no such key.
   */
  public static boolean lock(StoreTransaction tx, long hsmKey) {
    return !tx.query("SELECT id FROM hsm_key WHERE id = ? FOR UPDATE", row -> 1, hsmKey).isEmpty();
  }

  public static void deleteZoneKey(StoreTransaction tx, long id) {
    tx.update("DELETE FROM zone_key WHERE id = ?", id);
  }

  /** Marks the unbacked keys of a repository as in the backup being prepared; returns how many. */
  public static int prepareBackup(StoreTransaction tx, String repository, Instant now) {
    return tx.update("UPDATE hsm_key SET backup = 'prepared', backup_changed_at = ?, epoch = ? WHERE repository = ?"
        + " AND backup = 'unbacked'", now, tx.epoch(), repository);
  }

  /** The prepared keys become backed up (commit) or unbacked again (rollback); returns how many. */
  public static int finishBackup(StoreTransaction tx, String repository, boolean commit, Instant now) {
    return tx.update("UPDATE hsm_key SET backup = ?, backup_changed_at = ?, epoch = ? WHERE repository = ?"
        + " AND backup = 'prepared'", commit ? "backed_up" : "unbacked", now, tx.epoch(), repository);
  }

  public static Optional<StoredKey> byId(StoreTransaction tx, long zoneKeyId) {
    return tx.query("SELECT z.*, " + HSM_COLUMNS + " FROM zone_key z JOIN hsm_key h ON h.id = z.hsm_key"
        + " WHERE z.id = ?", KeyTable::stored, zoneKeyId).stream().findFirst();
  }

  private static StoredKey stored(ResultSet row) throws SQLException {
    HsmKeyRow hsm = hsmRow(row);
    KeyRole role = KeyRole.valueOf(row.getString("z.role"));
    KeyState key = new KeyState(row.getLong("z.id"), hsm.locator(), hsm.repository(), role, hsm.algorithm(),
        hsm.bits(), row.getInt("z.key_tag"), StoreTransaction.instant(row, "z.assigned_at"));
    key.goal(row.getBoolean("z.introducing"), StoreTransaction.instant(row, "z.retired_at"));
    key.activeAt(StoreTransaction.instant(row, "z.active_at"));
    for (RecordType type : RecordType.values()) {
      String column = "z." + type.name().toLowerCase(Locale.ROOT);
      String state = row.getString(column + "_state");
      if (state != null && key.has(type)) {
        key.set(type, RecordState.valueOf(state.toUpperCase(Locale.ROOT)), StoreTransaction.instant(row,
            column + "_since"));
      }
    }
    key.dsAtParent(DsAtParent.valueOf(row.getString("z.ds_at_parent").toUpperCase(Locale.ROOT)),
        StoreTransaction.instant(row, "z.ds_at_parent_since"));
    key.rolloverRequested(row.getBoolean("z.rollover_requested"));
    key.emergency(row.getBoolean("z.emergency"));
    key.retireHeld(row.getBoolean("z.retire_held"));
    key.parentSeenSince(StoreTransaction.instant(row, "z.parent_seen_since"));
    key.lost(hsm.lost());
    return new StoredKey(row.getString("z.zone"), key, hsm);
  }

  static HsmKeyRow hsmRow(ResultSet row) throws SQLException {
    return new HsmKeyRow(row.getLong("h.id"), row.getString("h.repository"), row.getString("h.locator"),
        KeyRole.valueOf(row.getString("h.role")), row.getInt("h.algorithm"), row.getInt("h.bits"),
        row.getBytes("h.public_key"), row.getString("h.policy"), StoreTransaction.instant(row, "h.created_at"),
        Backup.valueOf(row.getString("h.backup").toUpperCase(Locale.ROOT)),
        StoreTransaction.instant(row, "h.backup_changed_at"), row.getBoolean("h.lost"),
        row.getString("h_held_by") == null ? java.util.Set.of() : java.util.Set.of(row.getString("h_held_by")
            .split(",")));
  }
}
