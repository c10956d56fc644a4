package org.twinsign.appliance.store;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.twinsign.appliance.enforcer.KeyTimings;
import org.twinsign.appliance.policy.KaspPolicy;
import org.twinsign.appliance.policy.KaspReader;
import org.twinsign.appliance.policy.KaspWriter;

/** The {@code policy} table: each policy kept as the kasp.xml that {@link KaspWriter} writes. */
public final class PolicyTable {
  private PolicyTable() {}

  /** Inserts or replaces; returns true if the policy existed. */
  public static boolean put(StoreTransaction tx, KaspPolicy policy, Instant now) {
    boolean existed = find(tx, policy.name()).isPresent();
    if (existed) {
      // records published under the old version keep its timings (and those it held) until they run out
      KeyTimings held = timings(tx, find(tx, policy.name()).get(), now);
      tx.update("UPDATE policy SET held_timings = ?, hold_until = ?, description = ?, kasp_xml = ?, imported_at = ?,"
          + " epoch = ? WHERE name = ?", held.text(), now.plus(held.longest()), policy.description(),
          KaspWriter.write(List.of(policy)), now, tx.epoch(), policy.name());
    } else {
      tx.update("INSERT INTO policy (name, description, kasp_xml, imported_at, epoch) VALUES (?, ?, ?, ?, ?)",
          policy.name(), policy.description(), KaspWriter.write(List.of(policy)), now, tx.epoch());
    }
    return existed;
  }

  public static List<KaspPolicy> all(StoreTransaction tx) {
    return tx.query("SELECT name, kasp_xml FROM policy ORDER BY name",
        row -> KaspReader.read("stored policy " + row.getString("name"), row.getString("kasp_xml")).get(0));
  }

  public static Optional<KaspPolicy> find(StoreTransaction tx, String name) {
    return tx.query("SELECT name, kasp_xml FROM policy WHERE name = ?",
        row -> KaspReader.read("stored policy " + row.getString("name"), row.getString("kasp_xml")).get(0), name)
        .stream().findFirst();
  }

  /** Timings of replaced versions that still hold, until when, and when the current version came. */
  public record Hold(KeyTimings timings, Instant until, Instant importedAt) {}

  public static Optional<Hold> hold(StoreTransaction tx, String name) {
    return tx.query("SELECT held_timings, hold_until, imported_at FROM policy WHERE name = ?"
        + " AND held_timings IS NOT NULL", row -> new Hold(KeyTimings.parse(row.getString(1)),
            StoreTransaction.instant(row, "hold_until"), StoreTransaction.instant(row, "imported_at")), name)
        .stream().findFirst();
  }

  /** The policy's timings, or the larger of these and the held ones while those still hold. */
  public static KeyTimings timings(StoreTransaction tx, KaspPolicy policy, Instant now) {
    KeyTimings current = KeyTimings.of(policy);
    return hold(tx, policy.name()).filter(hold -> hold.until().isAfter(now)).map(hold -> current.max(hold.timings()))
        .orElse(current);
  }

  /**
   * A zone was signed under the current version for the first time: records under the old
   * timings were published until now, so the hold lasts from now.
   */
  public static void extendHold(StoreTransaction tx, String name, Instant now) {
    hold(tx, name).ifPresent(hold -> {
      Instant until = now.plus(hold.timings().longest());
      if (until.isAfter(hold.until())) {
        // never lower: another commit may have extended it since it was read
        tx.update("UPDATE policy SET hold_until = GREATEST(hold_until, ?), epoch = ? WHERE name = ?", until,
            tx.epoch(), name);
      }
    });
  }

  public static Instant importedAt(StoreTransaction tx, String name) {
    return tx.query("SELECT imported_at FROM policy WHERE name = ?", row -> StoreTransaction.instant(row, "imported_at"),
        name).get(0);
  }

  public static KaspPolicy require(StoreTransaction tx, String name) {
    return find(tx, name).orElseThrow(() -> new StoreException("no policy '" + name
        + "': 'twinsign policy list' shows the policies; 'policy import FILE' adds them"));
  }
}
