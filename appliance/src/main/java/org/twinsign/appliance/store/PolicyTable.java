package org.twinsign.appliance.store;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
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
      tx.update("UPDATE policy SET previous_kasp_xml = kasp_xml, replaced_at = ?, description = ?, kasp_xml = ?,"
          + " imported_at = ?, epoch = ? WHERE name = ?", now, policy.description(), KaspWriter.write(List.of(policy)),
          now, tx.epoch(), policy.name());
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

  /** The version a policy replaced, and when; empty if it was never replaced. */
  public record Previous(KaspPolicy policy, Instant replacedAt) {}

  public static Optional<Previous> previous(StoreTransaction tx, String name) {
    return tx.query("SELECT previous_kasp_xml, replaced_at FROM policy WHERE name = ? AND previous_kasp_xml IS NOT NULL",
        row -> new Previous(KaspReader.read("previous version of policy " + name, row.getString(1)).get(0),
            StoreTransaction.instant(row, "replaced_at")), name).stream().findFirst();
  }

  public static KaspPolicy require(StoreTransaction tx, String name) {
    return find(tx, name).orElseThrow(() -> new StoreException("no policy '" + name
        + "': 'twinsign policy list' shows the policies; 'policy import FILE' adds them"));
  }
}
