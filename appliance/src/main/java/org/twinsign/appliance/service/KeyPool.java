package org.twinsign.appliance.service;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.twinsign.appliance.dnssec.DnssecAlgorithm;
import org.twinsign.appliance.enforcer.KeySpec;
import org.twinsign.appliance.hsm.HsmKey;
import org.twinsign.appliance.policy.KaspPolicy;
import org.twinsign.appliance.store.KeyTable;
import org.twinsign.appliance.store.PolicyTable;
import org.twinsign.appliance.store.RepositoryTable;
import org.twinsign.appliance.store.Store;
import org.twinsign.appliance.store.StoreTransaction;
import org.twinsign.appliance.store.ZoneTable;

/**
 * Keys generated in each repository before they are needed (OpenDNSSEC's key pool), so that a
 * rollover takes a key that is already backed up. Size per policy key: the zones that will use
 * it (one, with ShareKeys) × the rollovers due within the configured horizon (until the next
 * backup) × a margin for emergencies.
 */
public final class KeyPool {
  /** A fifth more, and at least one, for emergency rollovers. */
  static final double MARGIN = 1.2;

  private final Services services;

  KeyPool(Services services) {
    this.services = services;
  }

  /** How many pool keys {@code spec} needs for {@code zones} zones over {@code horizon}. */
  public static int needed(KeySpec spec, int zones, boolean shareKeys, Duration horizon) {
    if (zones == 0) {
      return 0;
    }
    long rollovers = spec.manualRollover() ? 1
        : Math.max(1, (horizon.getSeconds() + spec.lifetime().getSeconds() - 1) / spec.lifetime().getSeconds());
    int users = shareKeys ? 1 : zones;
    return (int) Math.ceil(users * rollovers * MARGIN);
  }

  /** Generates {@code count} keys for each key of {@code policy}; each key is stored as soon as it exists. */
  public List<String> generate(String policyName, int count) {
    KaspPolicy policy = services.store().read(tx -> PolicyTable.require(tx, policyName));
    List<String> report = new ArrayList<>();
    for (KaspPolicy.Key key : policy.keys().keys()) {
      KeySpec spec = KeySpec.of(key);
      for (int i = 0; i < count; i++) {
        generateOne(policy.name(), spec);
      }
      report.add(count + " " + spec.role() + " keys (algorithm " + spec.algorithm() + ") generated in repository "
          + spec.repository());
    }
    return report;
  }

  /** Generates keys for every policy whose pool is short; returns what it did. */
  public List<String> topUp() {
    record Shortfall(String policy, KeySpec spec, int missing) {}
    List<Shortfall> shortfalls = services.store().read(tx -> {
      List<Shortfall> list = new ArrayList<>();
      for (KaspPolicy policy : PolicyTable.all(tx)) {
        int zones = ZoneTable.ofPolicy(tx, policy.name()).size();
        List<KeySpec> counted = new ArrayList<>();
        for (KaspPolicy.Key key : policy.keys().keys()) {
          KeySpec spec = KeySpec.of(key);
          int need = needed(spec, zones, policy.keys().shareKeys(), services.config().keyPoolHorizon());
          // specs of one repository, role and algorithm draw on the same pool
          need += counted.stream().filter(s -> s.repository().equals(spec.repository()) && s.role() == spec.role()
              && s.algorithm() == spec.algorithm()).mapToInt(s -> needed(s, zones, policy.keys().shareKeys(),
              services.config().keyPoolHorizon())).sum();
          counted.add(spec);
          int have = KeyTable.pool(tx, spec.repository(), spec.role(), spec.algorithm()).size();
          if (have < need) {
            list.add(new Shortfall(policy.name(), spec, need - have));
          }
        }
      }
      return list;
    });
    List<String> report = new ArrayList<>();
    for (Shortfall shortfall : shortfalls) {
      for (int i = 0; i < shortfall.missing(); i++) {
        generateOne(shortfall.policy(), shortfall.spec());
      }
      report.add("key pool: generated " + shortfall.missing() + " " + shortfall.spec().role() + " keys (algorithm "
          + shortfall.spec().algorithm() + ") in repository " + shortfall.spec().repository());
    }
    return report;
  }

  /** One key in its repository, then its row (its own transaction: a crash leaves at most this key unrecorded). */
  KeyTable.HsmKeyRow generateOne(String policy, KeySpec spec) {
    HsmKey key = generateInRepository(policy, spec);
    return services.store().write(tx -> record(tx, policy, spec, key));
  }

  /** One key, recorded in the caller's transaction (the enforcer's, when the pool is empty). */
  KeyTable.HsmKeyRow generateOne(StoreTransaction tx, String policy, KeySpec spec) {
    return record(tx, policy, spec, generateInRepository(policy, spec));
  }

  private HsmKey generateInRepository(String policy, KeySpec spec) {
    return services.repositories().get(spec.repository()).generate(DnssecAlgorithm.ofNumber(spec.algorithm()),
        spec.bits(), label(policy, spec));
  }

  private KeyTable.HsmKeyRow record(StoreTransaction tx, String policy, KeySpec spec, HsmKey key) {
    Instant now = Store.now(tx);
    RepositoryTable.sync(tx, services.config().repositories());
    long id = KeyTable.insertHsmKey(tx, spec.repository(), key.locator().hex(), spec.role(), spec.algorithm(),
        key.bits(), key.publicKey(), policy, now);
    return new KeyTable.HsmKeyRow(id, spec.repository(), key.locator().hex(), spec.role(), spec.algorithm(),
        key.bits(), key.publicKey(), policy, now, KeyTable.Backup.UNBACKED, now, false);
  }

  private static String label(String policy, KeySpec spec) {
    String label = "twinsign " + policy + " " + spec.role();
    return label.length() > 64 ? label.substring(0, 64) : label;
  }
}
