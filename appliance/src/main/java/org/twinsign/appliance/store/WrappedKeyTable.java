package org.twinsign.appliance.store;

import java.time.Instant;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The {@code wrapped_key} and {@code key_on_node} tables of key sync: each key's private key
 * wrapped under the key-encryption key (never in clear), which the standby follows by {@code seq};
 * and the nodes whose HSM was found to hold each key, which the publication gate asks.
 */
public final class WrappedKeyTable {
  private WrappedKeyTable() {}

  /** A wrapped key as the standby unwraps it: the key's description, the KEK's check value, the blob. */
  public record Row(long seq, long hsmKey, String repository, String locator, int algorithm, int bits,
      byte[] publicKey, String kek, String label, byte[] wrapped, long epoch)
      implements org.twinsign.replication.WrappedKey {
    @Override
    public String id() {
      return keyId(repository, locator);
    }
  }

  /** A key as key sync names it between the nodes: {@code REPOSITORY/LOCATOR}. */
  public static String keyId(String repository, String locator) {
    return repository + "/" + locator;
  }

  /** The repository and the locator of a {@link #keyId}; an error naming it if it is not one. */
  public static String[] keyIdParts(String id) {
    int slash = id.indexOf('/');
    if (slash <= 0 || slash == id.length() - 1) {
      throw new IllegalArgumentException("'" + id + "' is not REPOSITORY/LOCATOR");
    }
    return new String[] {id.substring(0, slash), id.substring(slash + 1)};
  }

  private static final String ROWS = "SELECT w.seq, h.id, h.repository, h.locator, h.algorithm, h.bits, h.public_key,"
      + " w.kek, w.label, w.wrapped, w.epoch FROM wrapped_key w JOIN hsm_key h ON h.id = w.hsm_key";

  private static Row row(java.sql.ResultSet r) throws java.sql.SQLException {
    return new Row(r.getLong(1), r.getLong(2), r.getString(3), r.getString(4), r.getInt(5), r.getInt(6), r.getBytes(7),
        r.getString(8), r.getString(9), r.getBytes(10), r.getLong(11));
  }

  /** Keys of {@code repositories} that have no wrapped copy yet, oldest first. */
  public static List<KeyTable.HsmKeyRow> notWrapped(StoreTransaction tx, Collection<String> repositories, int limit) {
    if (repositories.isEmpty()) {
      return List.of();
    }
    return tx.query("SELECT " + KeyTable.HSM_COLUMNS + " FROM hsm_key h WHERE h.repository IN (" + marks(repositories)
        + ") AND h.lost = FALSE AND NOT EXISTS (SELECT 1 FROM wrapped_key w WHERE w.hsm_key = h.id) ORDER BY h.id"
        + " LIMIT ?",
        KeyTable::hsmRow, params(repositories, limit));
  }

  public static void insert(StoreTransaction tx, long hsmKey, String kek, String label, byte[] wrapped, Instant now) {
    tx.update("INSERT INTO wrapped_key (hsm_key, kek, label, wrapped, wrapped_at, epoch) VALUES (?, ?, ?, ?, ?, ?)",
        hsmKey, kek, label, wrapped, now, tx.epoch());
  }

  /** The wrapped keys written after {@code seq}, in order. */
  public static List<Row> after(StoreTransaction tx, long seq, int limit) {
    return tx.query(ROWS + " WHERE w.seq > ? ORDER BY w.seq LIMIT ?", WrappedKeyTable::row, seq, limit);
  }

  /** The wrapped key of {@code repository}/{@code locator}, or null. */
  public static Row of(StoreTransaction tx, String repository, String locator) {
    return tx.query(ROWS + " WHERE h.repository = ? AND h.locator = ?", WrappedKeyTable::row, repository, locator)
        .stream().findFirst().orElse(null);
  }

  /** The ids ({@code REPOSITORY/LOCATOR}) of every key the store knows (a key missing here was purged). */
  public static Set<String> keyIds(StoreTransaction tx) {
    return new HashSet<>(tx.query("SELECT repository, locator FROM hsm_key", r -> keyId(r.getString(1),
        r.getString(2))));
  }

  /**
   * Keys of {@code repositories} not yet found in {@code node}'s HSM; with {@code wrappedOnly},
   * only those with a wrapped copy (the standby can have no other).
   */
  public static List<KeyTable.HsmKeyRow> notOn(StoreTransaction tx, String node, Collection<String> repositories,
      boolean wrappedOnly, int limit) {
    if (repositories.isEmpty()) {
      return List.of();
    }
    return tx.query("SELECT " + KeyTable.HSM_COLUMNS + " FROM hsm_key h WHERE h.repository IN (" + marks(repositories)
        + ")" + (wrappedOnly ? " AND EXISTS (SELECT 1 FROM wrapped_key w WHERE w.hsm_key = h.id)" : "")
        + " AND NOT EXISTS (SELECT 1 FROM key_on_node n WHERE n.hsm_key = h.id AND n.node = ?) ORDER BY h.id LIMIT ?",
        KeyTable::hsmRow, params(repositories, node, limit));
  }

  /** Keys of {@code repositories} last found in {@code node}'s HSM before {@code before}: to be looked up again. */
  public static List<KeyTable.HsmKeyRow> foundBefore(StoreTransaction tx, String node, Collection<String> repositories,
      java.time.Instant before, int limit) {
    if (repositories.isEmpty()) {
      return List.of();
    }
    return tx.query("SELECT " + KeyTable.HSM_COLUMNS + " FROM hsm_key h JOIN key_on_node n ON n.hsm_key = h.id"
        + " WHERE h.repository IN (" + marks(repositories) + ") AND n.node = ? AND n.verified_at < ?"
        + " ORDER BY n.verified_at LIMIT ?", KeyTable::hsmRow, params(repositories, node, before, limit));
  }

  /** Records that {@code node}'s HSM holds the key (found there, public key matching). */
  public static void onNode(StoreTransaction tx, long hsmKey, String node, Instant now) {
    tx.update("INSERT INTO key_on_node (hsm_key, node, verified_at, epoch) VALUES (?, ?, ?, ?) ON DUPLICATE KEY"
        + " UPDATE verified_at = VALUES(verified_at), epoch = VALUES(epoch)", hsmKey, node, now, tx.epoch());
  }

  /** Forgets that {@code node}'s HSM holds the key: it was found missing there, or another key under its id. */
  public static void notOnNode(StoreTransaction tx, long hsmKey, String node) {
    tx.update("DELETE FROM key_on_node WHERE hsm_key = ? AND node = ?", hsmKey, node);
  }

  /**
   * How many keys of {@code repositories} whose DNSKEY some zone publishes (or publishes no more
   * but caches may hold) are not known to be in {@code node}'s HSM: that node could not sign with
   * them, so it is not a standby to promote while this is above zero.
   */
  public static long publishedNotOn(StoreTransaction tx, String node, Collection<String> repositories) {
    if (repositories.isEmpty()) {
      return 0;
    }
    return tx.query("SELECT COUNT(DISTINCT h.id) FROM hsm_key h JOIN zone_key z ON z.hsm_key = h.id"
        + " WHERE h.repository IN (" + marks(repositories) + ") AND z.dnskey_state <> 'hidden'"
        + " AND NOT EXISTS (SELECT 1 FROM key_on_node n WHERE n.hsm_key = h.id AND n.node = ?)", r -> r.getLong(1),
        params(repositories, node)).get(0);
  }

  /** Of the keys {@code ids}, those that still exist and are not recorded as on {@code node}. */
  public static java.util.Set<Long> notOn(StoreTransaction tx, String node, Collection<Long> ids) {
    if (ids.isEmpty()) {
      return java.util.Set.of();
    }
    java.util.List<Object> params = new java.util.ArrayList<>(ids);
    params.add(node);
    return new java.util.HashSet<>(tx.query("SELECT h.id FROM hsm_key h WHERE h.id IN (" + "?,".repeat(ids.size() - 1)
        + "?) AND NOT EXISTS (SELECT 1 FROM key_on_node n WHERE n.hsm_key = h.id AND n.node = ?)", r -> r.getLong(1),
        params.toArray()));
  }

  /** Keys of {@code repositories} without a wrapped copy, and of those wrapped, how many are not on {@code node}. */
  public record Counts(long notWrapped, long notOnNode) {}

  public static Counts counts(StoreTransaction tx, String node, Collection<String> repositories, boolean wrapping) {
    if (repositories.isEmpty()) {
      return new Counts(0, 0);
    }
    long notWrapped = !wrapping ? 0 : tx.query("SELECT COUNT(*) FROM hsm_key h WHERE h.repository IN ("
        + marks(repositories) + ") AND NOT EXISTS (SELECT 1 FROM wrapped_key w WHERE w.hsm_key = h.id)",
        r -> r.getLong(1), repositories.toArray()).get(0);
    long notOn = tx.query("SELECT COUNT(*) FROM hsm_key h WHERE h.repository IN (" + marks(repositories) + ")"
        + " AND NOT EXISTS (SELECT 1 FROM key_on_node n WHERE n.hsm_key = h.id AND n.node = ?)", r -> r.getLong(1),
        params(repositories, node)).get(0);
    return new Counts(notWrapped, notOn);
  }

  private static String marks(Collection<String> values) {
    return String.join(", ", java.util.Collections.nCopies(values.size(), "?"));
  }

  /** The repositories' names (for the IN list), then {@code more}. */
  private static Object[] params(Collection<String> repositories, Object... more) {
    List<Object> all = new java.util.ArrayList<>(repositories);
    all.addAll(List.of(more));
    return all.toArray();
  }
}
