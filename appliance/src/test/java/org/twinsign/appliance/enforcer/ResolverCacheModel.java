package org.twinsign.appliance.enforcer;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A resolver's caches, independent of the enforcer's record states: every version of the DS
 * RRset, of the DNSKEY RRset (with the key tags that sign it) and of the zone's signatures that
 * was ever served is kept for its TTL plus propagation delay after it was replaced; a check takes
 * every combination of versions a cache may still hold and validates it.
 */
final class ResolverCacheModel {
  /** One served version of an RRset, from {@code from} until replaced. */
  private record Version<T>(Instant from, T content) {}

  /** The DNSKEY RRset: the keys in it and the keys whose signature covers it. */
  record KeySet(Set<Integer> dnskeys, Set<Integer> signers) {}

  private final Duration dsHold;
  private final Duration dnskeyHold;
  private final Duration zoneHold;
  private final List<Version<Set<Integer>>> ds = new ArrayList<>();
  private final List<Version<KeySet>> dnskey = new ArrayList<>();
  /** Per zone RRset (owner and type): its versions, by the key tags that sign it; null while it does not exist. */
  private final java.util.Map<String, List<Version<Set<Integer>>>> zone = new java.util.TreeMap<>();
  private int checks;

  ResolverCacheModel(Duration dsHold, Duration dnskeyHold, Duration zoneHold) {
    this.dsHold = dsHold;
    this.dnskeyHold = dnskeyHold;
    this.zoneHold = zoneHold;
  }

  /** The parent serves this DS set (key tags) from {@code at}. */
  void parentDs(Instant at, Set<Integer> tags) {
    if (ds.isEmpty() || !ds.get(ds.size() - 1).content().equals(tags)) {
      ds.add(new Version<>(at, Set.copyOf(tags)));
    }
  }

  /** The zone is served from {@code at} with these DNSKEYs, DNSKEY signers and zone-data signers. */
  void zone(Instant at, Set<Integer> dnskeys, Set<Integer> keySigners, Set<Integer> zoneSigners) {
    zone(at, dnskeys, keySigners, java.util.Map.of("zone data", zoneSigners));
  }

  /** As above, with the signers of each RRset of the zone (other than DNSKEY), by owner and type. */
  void zone(Instant at, Set<Integer> dnskeys, Set<Integer> keySigners, java.util.Map<String, Set<Integer>> rrsets) {
    KeySet keys = new KeySet(Set.copyOf(dnskeys), Set.copyOf(keySigners));
    if (dnskey.isEmpty() || !dnskey.get(dnskey.size() - 1).content().equals(keys)) {
      dnskey.add(new Version<>(at, keys));
    }
    for (String rrset : rrsets.keySet()) {
      zone.computeIfAbsent(rrset, r -> new ArrayList<>());
    }
    for (java.util.Map.Entry<String, List<Version<Set<Integer>>>> entry : zone.entrySet()) {
      Set<Integer> signers = rrsets.get(entry.getKey());
      List<Version<Set<Integer>>> versions = entry.getValue();
      Set<Integer> last = versions.isEmpty() ? null : versions.get(versions.size() - 1).content();
      if (versions.isEmpty() || !java.util.Objects.equals(last, signers)) {
        versions.add(new Version<>(at, signers == null ? null : Set.copyOf(signers)));
      }
    }
  }

  int checks() {
    return checks;
  }

  /** Every combination of versions a cache may hold at {@code at}; throws naming the first that fails. */
  void check(Instant at) {
    List<Set<Integer>> dsAlive = alive(ds, at, dsHold);
    for (Set<Integer> dsSet : dsAlive) {
      if (dsSet.isEmpty()) {
        // before the first DS the zone is insecure, which is fine; an empty set after one is a downgrade
        int index = indexOf(ds, dsSet, at, dsHold);
        if (ds.subList(0, index).stream().anyMatch(v -> !v.content().isEmpty())) {
          throw new AssertionError(at + ": a cache may hold an empty DS set after the zone was secure");
        }
        continue;
      }
      for (KeySet keys : alive(dnskey, at, dnskeyHold)) {
        if (dsSet.stream().noneMatch(t -> keys.dnskeys().contains(t) && keys.signers().contains(t))) {
          throw new AssertionError(at + ": a cache may hold DS " + dsSet + " with DNSKEY " + keys.dnskeys()
              + " signed by " + keys.signers() + " — bogus");
        }
        for (java.util.Map.Entry<String, List<Version<Set<Integer>>>> rrset : zone.entrySet()) {
          for (Set<Integer> signers : alive(rrset.getValue(), at, zoneHold)) {
            if (signers != null && signers.stream().noneMatch(keys.dnskeys()::contains)) {
              throw new AssertionError(at + ": a cache may hold DNSKEY " + keys.dnskeys() + " with " + rrset.getKey()
                  + " signed by " + signers + " — bogus");
            }
            checks++;
          }
        }
      }
    }
  }

  private static <T> int indexOf(List<Version<T>> versions, T content, Instant at, Duration hold) {
    for (int i = versions.size() - 1; i >= 0; i--) {
      if (versions.get(i).content().equals(content) && !versions.get(i).from().isAfter(at)) {
        return i;
      }
    }
    return 0;
  }

  /** The versions served at some time in [at - hold, at]. */
  private static <T> List<T> alive(List<Version<T>> versions, Instant at, Duration hold) {
    List<T> alive = new ArrayList<>();
    for (int i = 0; i < versions.size(); i++) {
      boolean replaced = i + 1 < versions.size();
      boolean started = !versions.get(i).from().isAfter(at);
      if (started && (!replaced || versions.get(i + 1).from().plus(hold).isAfter(at))) {
        alive.add(versions.get(i).content());
      }
    }
    return alive;
  }
}
