package org.twinsign.appliance.service;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.twinsign.appliance.enforcer.KeyTimings;
import org.twinsign.appliance.policy.KaspPolicy;
import org.twinsign.appliance.store.KeyTable;
import org.twinsign.appliance.store.PolicyTable;
import org.twinsign.appliance.store.Store;
import org.twinsign.appliance.store.StoreTransaction;
import org.twinsign.appliance.store.ZoneTable;

/**
 * What one enforcer run of a zone reads, in one short read-only transaction, before it decides
 * and signs outside any transaction. The row's version ({@link ZoneTable.ZoneRow#version()}) is
 * what the run's commit checks: if anything changed the zone meanwhile, the run starts over.
 *
 * The pool is not read here: most runs take no key from it, and it grows with the number of zones
 * (see {@code EnforcerService#poolKeys}).
 *
 * @param shared keys of other zones of the same policy (for ShareKeys)
 */
record ZoneSnapshot(Instant now, ZoneTable.ZoneRow zone, KaspPolicy policy, KeyTimings timings,
    Instant policyImportedAt, List<KeyTable.StoredKey> keys, List<KeyTable.StoredKey> shared) {

  static ZoneSnapshot load(StoreTransaction tx, String zoneName) {
    Instant now = Store.now(tx);
    ZoneTable.ZoneRow zone = ZoneTable.require(tx, zoneName);
    KaspPolicy policy = PolicyTable.require(tx, zone.policy());
    List<KeyTable.StoredKey> shared = new ArrayList<>();
    if (policy.keys().shareKeys()) {
      for (ZoneTable.ZoneRow other : ZoneTable.ofPolicy(tx, policy.name())) {
        if (!other.name().equals(zoneName)) {
          shared.addAll(KeyTable.zoneKeys(tx, other.name()));
        }
      }
    }
    return new ZoneSnapshot(now, zone, policy, PolicyTable.timings(tx, policy, now),
        PolicyTable.importedAt(tx, policy.name()), KeyTable.zoneKeys(tx, zoneName), shared);
  }
}
