package org.twinsign.appliance.enforcer;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The safety rule of the enforcer (RFC 7583 §3; Mekking, "Flexible and Robust Key Rollover"): a
 * resolver caches the DS RRset, the DNSKEY RRset with its signatures, and each zone RRset with its
 * signatures independently, each as it was at some moment within its TTL. Every combination of
 * versions that caches may hold must validate. A record that is rumoured or unretentive since time
 * t is in the versions published after (rumoured) or before (unretentive) t; omnipresent records
 * are in all, hidden ones in none.
 *
 * <p>Also the zone published now must be complete (RFC 4035 §2.2): every algorithm in the DNSKEY
 * RRset signs both the DNSKEY RRset and the zone, and nothing is signed by a key that is not
 * published.
 */
public final class ResolverViews {
  private ResolverViews() {}

  /** The first combination of cached versions (or the first gap in the published zone) that fails, if any. */
  public static Optional<String> problem(List<KeyState> keys) {
    Optional<String> published = publishedProblem(keys);
    if (published.isPresent()) {
      return published;
    }
    boolean secure = keys.stream().anyMatch(k -> k.has(RecordType.DS)
        && (k.state(RecordType.DS) == RecordState.OMNIPRESENT || k.state(RecordType.DS) == RecordState.UNRETENTIVE));
    List<Set<KeyState>> rrsigVersions = new ArrayList<>();
    for (Instant moment : moments(keys, RecordType.RRSIG)) {
      rrsigVersions.add(present(keys, RecordType.RRSIG, moment));
    }
    for (Instant dsMoment : moments(keys, RecordType.DS)) {
      Set<KeyState> ds = present(keys, RecordType.DS, dsMoment);
      if (ds.isEmpty()) {
        if (secure) {
          return Optional.of("a cache could hold no DS while the zone is secure");
        }
        continue; // the zone is not secure yet: nothing to validate
      }
      // the DNSKEY RRset and its signatures travel together: one version of both, from one moment
      for (Instant moment : moments(keys, RecordType.DNSKEY, RecordType.RRSIG_DNSKEY)) {
        Set<KeyState> dnskeys = present(keys, RecordType.DNSKEY, moment);
        Set<KeyState> keySigs = present(keys, RecordType.RRSIG_DNSKEY, moment);
        boolean chained = ds.stream().anyMatch(k -> dnskeys.contains(k) && keySigs.contains(k));
        if (!chained) {
          return Optional.of("a cache could hold DS " + tags(ds) + " with DNSKEY " + tags(dnskeys)
              + " signed by " + tags(keySigs) + ": no chain of trust");
        }
        for (Set<KeyState> sigs : rrsigVersions) {
          if (sigs.stream().noneMatch(dnskeys::contains)) {
            return Optional.of("a cache could hold DNSKEY " + tags(dnskeys) + " with zone data signed by "
                + tags(sigs) + ": no signature it can check");
          }
        }
      }
    }
    return Optional.empty();
  }

  /** The moments at which the RRset of these record types changed: each starts a version caches may hold. */
  private static TreeSet<Instant> moments(List<KeyState> keys, RecordType... types) {
    TreeSet<Instant> moments = new TreeSet<>();
    moments.add(Instant.MIN);
    for (KeyState key : keys) {
      for (RecordType type : types) {
        if (key.has(type) && key.state(type).uncertain()) {
          moments.add(key.since(type));
        }
      }
    }
    return moments;
  }

  private static Set<KeyState> present(List<KeyState> keys, RecordType type, Instant moment) {
    Set<KeyState> set = new LinkedHashSet<>();
    for (KeyState key : keys) {
      RecordState state = key.state(type);
      if (state == null) {
        continue;
      }
      Instant since = key.since(type);
      boolean in = state == RecordState.OMNIPRESENT
          || (state == RecordState.RUMOURED && !moment.isBefore(since))
          || (state == RecordState.UNRETENTIVE && moment.isBefore(since));
      if (in) {
        set.add(key);
      }
    }
    return set;
  }

  /** RFC 4035 §2.2 on the zone as published now. */
  static Optional<String> publishedProblem(List<KeyState> keys) {
    Set<Integer> algorithms = new TreeSet<>();
    for (KeyState key : keys) {
      boolean dnskey = key.published(RecordType.DNSKEY);
      if (!dnskey && (key.published(RecordType.RRSIG) || key.published(RecordType.RRSIG_DNSKEY))) {
        return Optional.of(key.role() + " " + key.keyTag() + " would sign without its DNSKEY published");
      }
      if (dnskey) {
        algorithms.add(key.algorithm());
      }
    }
    for (int algorithm : algorithms) {
      boolean signsKeys = keys.stream().anyMatch(k -> k.algorithm() == algorithm
          && k.published(RecordType.DNSKEY) && k.published(RecordType.RRSIG_DNSKEY));
      boolean signsZone = keys.stream().anyMatch(k -> k.algorithm() == algorithm
          && k.published(RecordType.DNSKEY) && k.published(RecordType.RRSIG));
      if (!signsKeys || !signsZone) {
        return Optional.of("algorithm " + algorithm + " would be in the DNSKEY RRset without signing "
            + (signsKeys ? "the zone" : "the DNSKEY RRset") + " (RFC 4035 §2.2)");
      }
    }
    return Optional.empty();
  }

  private static String tags(Set<KeyState> keys) {
    List<Integer> tags = new ArrayList<>();
    keys.forEach(k -> tags.add(k.keyTag()));
    return tags.toString();
  }
}
