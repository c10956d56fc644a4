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
    tx.update("INSERT INTO policy (name, description, kasp_xml, imported_at, epoch) VALUES (?, ?, ?, ?, ?)"
        + " ON DUPLICATE KEY UPDATE description = VALUES(description), kasp_xml = VALUES(kasp_xml),"
        + " imported_at = VALUES(imported_at), epoch = VALUES(epoch)",
        policy.name(), policy.description(), KaspWriter.write(List.of(policy)), now, tx.epoch());
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

  public static KaspPolicy require(StoreTransaction tx, String name) {
    return find(tx, name).orElseThrow(() -> new StoreException("no policy '" + name
        + "': 'twinsign policy list' shows the policies; 'policy import FILE' adds them"));
  }
}
