package org.twinsign.appliance.store;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** The {@code zone} table: a zone, its policy, its files and what the signer last did. */
public final class ZoneTable {
  private ZoneTable() {}

  /**
   * One zone. {@code resignAt}: when the signer must next re-sign even if nothing changed.
   * {@code version}: raised by every change to the zone or its keys ({@link #claim}).
   * {@code serialFloor}: the highest serial that may have been seen outside.
   */
  public record ZoneRow(String name, String policy, Path input, Path output, Instant addedAt, boolean signNeeded,
      Instant signedAt, Long signedSerial, String inputDigest, Instant resignAt, String nsec3Salt,
      Instant nsec3SaltAt, boolean publishCds, List<String> parentServers, long version, Long serialFloor,
      String publishedDigest, List<String> primaries, String primaryKey) {

    /** Whether the unsigned zone comes from hidden primaries by zone transfer (kept in {@link #input()}). */
    public boolean transferredIn() {
      return !primaries.isEmpty();
    }

    /** The serial the next version must be above: the later of the last committed and the reserved one. */
    public Long publishedSerialFloor() {
      if (signedSerial == null) {
        return serialFloor;
      }
      if (serialFloor == null) {
        return signedSerial;
      }
      return org.twinsign.appliance.dnssec.SerialPolicy.greaterThan(serialFloor, signedSerial) ? serialFloor
          : signedSerial;
    }
  }

  /** The zone changed since its row was read at {@code version}: the work based on that read must be redone. */
  public static final class ZoneMovedException extends StoreConflictException {
    private static final long serialVersionUID = 1L;

    ZoneMovedException(String message) {
      super(message);
    }
  }

  /**
   * The optimistic guard of a zone's commit: raises the zone's version if it is still the one the
   * work read, and holds the row until the commit; otherwise another writer moved it first.
   */
  public static void claim(StoreTransaction tx, String name, long readVersion) {
    if (tx.update("UPDATE zone SET version = version + 1, epoch = ? WHERE name = ? AND version = ?", tx.epoch(), name,
        readVersion) == 0) {
      throw new ZoneMovedException("zone " + name + " changed while this run worked on it (another command or node"
          + " wrote it first)");
    }
  }

  /** Marks a change to the zone or its keys made outside the enforcer, so that a run in progress redoes its work. */
  public static void touch(StoreTransaction tx, String name) {
    tx.update("UPDATE zone SET version = version + 1, epoch = ? WHERE name = ?", tx.epoch(), name);
  }

  /**
   * Reserves {@code serial} before a version with it is published: whatever happens to the commit
   * or the output file afterwards, no later version reuses it. One conditional statement: if the
   * floor is already at or above it (RFC 1982), another run reserved it first and this run must
   * sign again from a fresh read.
   */
  public static void reserveSerial(StoreTransaction tx, String name, long serial) {
    int raised = tx.update("UPDATE zone SET serial_floor = ?, epoch = ? WHERE name = ? AND (serial_floor IS NULL"
        + " OR (? > serial_floor AND ? - serial_floor < 2147483648) OR (? < serial_floor AND serial_floor - ? >"
        + " 2147483648))", serial, tx.epoch(), name, serial, serial, serial, serial);
    if (raised == 0) {
      throw new ZoneMovedException("serial " + serial + " of zone " + name + " was reserved by another run first");
    }
  }

  /**
   * Locks the zone's row for the rest of the transaction. Every writer that changes a zone or its
   * keys takes this lock before it reads them (zones in name order), the same order the enforcer's
   * commit takes: no writer overwrites another's key states, and they never deadlock.
   */
  public static void lock(StoreTransaction tx, String name) {
    tx.query("SELECT version FROM zone WHERE name = ? FOR UPDATE", row -> 1, name);
  }

  /** {@link #lock} for several zones, in name order; returns their names in that order. */
  public static List<String> lockAll(StoreTransaction tx, java.util.Collection<String> names) {
    List<String> sorted = new java.util.ArrayList<>(new java.util.TreeSet<>(names));
    sorted.forEach(name -> lock(tx, name));
    return sorted;
  }

  public static void insert(StoreTransaction tx, String name, String policy, Path input, Path output, Instant now,
      boolean publishCds, List<String> parentServers) {
    insert(tx, name, policy, input, output, now, publishCds, parentServers, List.of(), null);
  }

  /** As above, for a zone transferred in from {@code primaries} (HOST:PORT), TSIG {@code primaryKey} or none. */
  public static void insert(StoreTransaction tx, String name, String policy, Path input, Path output, Instant now,
      boolean publishCds, List<String> parentServers, List<String> primaries, String primaryKey) {
    // the first version is the time in microseconds: a zone deleted and added again never gets a
    // version that a run still working on the old one holds
    long firstVersion = java.util.concurrent.TimeUnit.MILLISECONDS.toMicros(System.currentTimeMillis())
        + java.util.concurrent.ThreadLocalRandom.current().nextInt(1000);
    tx.update("INSERT INTO zone (name, policy, input_path, output_path, added_at, sign_needed, publish_cds,"
        + " parent_servers, version, epoch, source_primaries, source_key) VALUES (?, ?, ?, ?, ?, TRUE, ?, ?, ?, ?, ?,"
        + " ?)", name, policy, input.toString(), output.toString(), now, publishCds,
        parentServers.isEmpty() ? null : String.join(" ", parentServers), firstVersion, tx.epoch(),
        primaries.isEmpty() ? null : String.join(" ", primaries), primaryKey);
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

  /** How many zones the policy has (counted in the store: the key pool asks on every run). */
  public static int countOfPolicy(StoreTransaction tx, String policy) {
    return tx.query("SELECT COUNT(*) FROM zone WHERE policy = ?", r -> r.getInt(1), policy).get(0);
  }

  /** A new policy for the zone: its keys follow the new policy's rules from the next run. */
  public static void setPolicy(StoreTransaction tx, String name, String policy) {
    tx.update("UPDATE zone SET policy = ?, sign_needed = TRUE, epoch = ? WHERE name = ?", policy, tx.epoch(), name);
  }

  public static void delete(StoreTransaction tx, String name) {
    tx.update("DELETE FROM zone WHERE name = ?", name);
  }

  public static void signNeeded(StoreTransaction tx, String name) {
    tx.update("UPDATE zone SET sign_needed = TRUE, version = version + 1, epoch = ? WHERE name = ?", tx.epoch(), name);
  }

  /** @param run the signing run's id: {@link #signedBy} tells later whether its commit went through */
  public static void signed(StoreTransaction tx, String name, Instant at, long serial, String inputDigest,
      Instant resignAt, String salt, Instant saltAt, String run, String publishedDigest) {
    tx.update("UPDATE zone SET sign_needed = FALSE, signed_at = ?, signed_serial = ?, input_digest = ?,"
        + " resign_at = ?, nsec3_salt = ?, nsec3_salt_at = ?, signed_run = ?, published_digest = ?, epoch = ?"
        + " WHERE name = ?", at, serial, inputDigest, resignAt, salt, saltAt, run, publishedDigest, tx.epoch(), name);
  }

  /** The signed file was written anew from the version published by journal: the store records the file's digest. */
  public static void flushed(StoreTransaction tx, String name, String publishedDigest) {
    tx.update("UPDATE zone SET published_digest = ?, epoch = ? WHERE name = ?", publishedDigest, tx.epoch(), name);
  }

  /**
   * Why {@code input} and {@code output} cannot be zone {@code name}'s files, or null: no two zones
   * share a file (one would overwrite the other's published zone, or sign it as its own input),
   * and a zone's output is not its input.
   */
  public static String pathConflict(StoreTransaction tx, String name, Path input, Path output) {
    return ZoneFileIndex.of(tx).conflict(name, input, output);
  }

  /**
   * Whether the zone's last committed signing is run {@code run}; a locking read (in
   * {@link Store#inspect}), so it waits for a commit still in flight.
   */
  public static boolean signedBy(StoreTransaction tx, String name, String run) {
    return tx.query("SELECT signed_run FROM zone WHERE name = ? LOCK IN SHARE MODE", row -> row.getString(1), name)
        .stream().anyMatch(run::equals);
  }

  /**
   * When the enforcer must next run for the zone, and why. Every writer that changes a zone or its
   * keys sets this, so it also raises the zone's version ({@link #touch}): a run that read the zone
   * before then redoes its work instead of overwriting the change.
   */
  public static void schedule(StoreTransaction tx, String name, Instant due, String reason) {
    tx.update("UPDATE enforcer_schedule SET due_at = ?, reason = ?, epoch = ? WHERE zone = ?", due, reason,
        tx.epoch(), name);
    touch(tx, name);
  }

  public record Due(String zone, Instant at, String reason) {}

  public static List<Due> schedule(StoreTransaction tx) {
    return tx.query("SELECT zone, due_at, reason FROM enforcer_schedule ORDER BY zone",
        row -> new Due(row.getString("zone"), StoreTransaction.instant(row, "due_at"), row.getString("reason")));
  }

  /** A zone's published version as the store records it, with the epoch of the row's last writer. */
  public record Published(String name, Long signedSerial, String publishedDigest, long epoch) {}

  /** Every zone with a published version (a standby follows these to ingest the master's output). */
  public static List<Published> published(StoreTransaction tx) {
    return tx.query("SELECT name, signed_serial, published_digest, epoch FROM zone WHERE published_digest IS NOT NULL"
        + " ORDER BY name", r -> new Published(r.getString(1), r.getObject(2) == null ? null : r.getLong(2),
            r.getString(3), r.getLong(4)));
  }

  private static ZoneRow row(java.sql.ResultSet row) throws java.sql.SQLException {
    Long serial = row.getObject("signed_serial") == null ? null : row.getLong("signed_serial");
    return new ZoneRow(row.getString("name"), row.getString("policy"), Path.of(row.getString("input_path")),
        Path.of(row.getString("output_path")), StoreTransaction.instant(row, "added_at"),
        row.getBoolean("sign_needed"), StoreTransaction.instant(row, "signed_at"),
        serial, row.getString("input_digest"), StoreTransaction.instant(row, "resign_at"),
        row.getString("nsec3_salt"), StoreTransaction.instant(row, "nsec3_salt_at"), row.getBoolean("publish_cds"),
        row.getString("parent_servers") == null ? List.of() : List.of(row.getString("parent_servers").split(" ")),
        row.getLong("version"), row.getObject("serial_floor") == null ? null : row.getLong("serial_floor"),
        row.getString("published_digest"),
        row.getString("source_primaries") == null ? List.of() : List.of(row.getString("source_primaries").split(" ")),
        row.getString("source_key"));
  }
}
