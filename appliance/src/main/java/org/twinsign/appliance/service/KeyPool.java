package org.twinsign.appliance.service;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.twinsign.appliance.dnssec.DnssecAlgorithm;
import org.twinsign.appliance.dnssec.KeyRole;
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

  public KeyPool(Services services) {
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

  /** One pool: keys of one repository, role and algorithm (and size, for RSA) serve any policy asking for them. */
  private record Pool(String repository, KeyRole role, int algorithm, int bits) {
    static Pool of(KeySpec spec) {
      return new Pool(spec.repository(), spec.role(), spec.algorithm(),
          DnssecAlgorithm.isRsa(spec.algorithm()) ? spec.bits() : 0);
    }
  }

  /** Generates keys for every pool that is short of what all policies together need; returns what it did. */
  public List<String> topUp() {
    return topUp(Instant.MAX);
  }

  /**
   * One pool's level: the keys it should hold ({@code target}: what all policies' rollovers within
   * {@code keypool.horizon} need, with the margin, at most {@code keypool.max}), the keys it holds,
   * and how many of those are backed up.
   */
  public record Level(String repository, KeyRole role, int algorithm, int bits, String policy, KeySpec spec,
      int target, long keys, long backedUp, java.time.Instant lastGenerated) {
    /**
     * The least the pool may hold before it is short: the target without its emergency margin (so
     * that the keys taken by the rollovers of one run do not count as short before the next top-up).
     */
    public long least() {
      return Math.max(1, (long) Math.floor(target / MARGIN));
    }

    /** The pool, as people name it. */
    public String name() {
      return role + " keys of algorithm " + algorithm + (bits > 0 ? " (" + bits + " bits)" : "") + " in repository "
          + repository;
    }
  }

  /** Every pool some policy needs, with its level. */
  public List<Level> levels() {
    return services.store().read(tx -> {
      Map<Pool, Integer> need = new LinkedHashMap<>();
      Map<Pool, String> policyOf = new LinkedHashMap<>();
      Map<Pool, KeySpec> specOf = new LinkedHashMap<>();
      for (KaspPolicy policy : PolicyTable.all(tx)) {
        int zones = ZoneTable.countOfPolicy(tx, policy.name());
        for (KaspPolicy.Key key : policy.keys().keys()) {
          KeySpec spec = KeySpec.of(key);
          int count = needed(spec, zones, policy.keys().shareKeys(), services.config().keyPoolHorizon());
          if (count > 0) {
            need.merge(Pool.of(spec), count, Integer::sum);
            policyOf.putIfAbsent(Pool.of(spec), policy.name());
            specOf.putIfAbsent(Pool.of(spec), spec);
          }
        }
      }
      List<Level> levels = new ArrayList<>();
      for (Map.Entry<Pool, Integer> entry : need.entrySet()) {
        Pool pool = entry.getKey();
        // very short lifetimes would ask for thousands of keys: the pool holds keypool.max at most
        int target = Math.min(entry.getValue(), services.config().keyPoolMax());
        levels.add(new Level(pool.repository(), pool.role(), pool.algorithm(), pool.bits(), policyOf.get(pool),
            specOf.get(pool), target, KeyTable.poolCount(tx, pool.repository(), pool.role(), pool.algorithm(),
                pool.bits()), KeyTable.poolBackedUpCount(tx, pool.repository(), pool.role(), pool.algorithm(),
                    pool.bits()), KeyTable.lastGenerated(tx, pool.repository(), pool.role(), pool.algorithm(),
                        pool.bits())));
      }
      return levels;
    });
  }

  /**
   * As {@link #topUp()}, but stops generating at {@code deadline} (a short-lived command must not
   * spend minutes filling a large pool; the next run goes on).
   */
  public List<String> topUp(Instant deadline) {
    record Shortfall(String policy, KeySpec spec, int missing) {}
    List<Shortfall> shortfalls = new ArrayList<>();
    for (Level level : levels()) {
      if (level.keys() < level.target()) {
        shortfalls.add(new Shortfall(level.policy(), level.spec(), (int) (level.target() - level.keys())));
      }
    }
    List<String> report = new ArrayList<>();
    for (Shortfall shortfall : shortfalls) {
      int made = 0;
      while (made < shortfall.missing() && Instant.now().isBefore(deadline)) {
        generateOne(shortfall.policy(), shortfall.spec());
        made++;
      }
      if (made > 0) {
        report.add("key pool: generated " + made + " " + shortfall.spec().role() + " keys (algorithm "
            + shortfall.spec().algorithm() + ") in repository " + shortfall.spec().repository()
            + (made < shortfall.missing() ? "; " + (shortfall.missing() - made) + " more at the next run" : ""));
      }
    }
    return report;
  }

  /** One key in its repository, then its row (its own transaction: a crash leaves at most this key unrecorded). */
  KeyTable.HsmKeyRow generateOne(String policy, KeySpec spec) {
    HsmKey key = generateInRepository(policy, spec);
    try {
      return services.store().write(services.lease(), tx -> record(tx, policy, spec, key));
    } catch (org.twinsign.appliance.store.CommitUnknownException e) {
      // the row may be there: a recorded key that is gone from the HSM would later count as lost,
      // so the key stays (at worst the repository holds one key the store does not know)
      throw e;
    } catch (RuntimeException e) {
      // not recorded: not kept either, or the repository fills with keys nobody knows
      deleteQuietly(spec, key, e);
      throw e;
    }
  }

  private void deleteQuietly(KeySpec spec, HsmKey key, RuntimeException failure) {
    try {
      services.repositories().get(spec.repository()).delete(key.locator());
    } catch (RuntimeException e) {
      failure.addSuppressed(e);
    }
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
        key.bits(), key.publicKey(), policy, now, KeyTable.Backup.UNBACKED, now, false, java.util.Set.of());
  }

  private static String label(String policy, KeySpec spec) {
    String label = "twinsign " + policy + " " + spec.role();
    return label.length() > 64 ? label.substring(0, 64) : label;
  }
}
