package org.twinsign.appliance.enforcer;

import java.time.Duration;
import java.time.Instant;
import org.twinsign.appliance.policy.KaspPolicy;

/**
 * How long a record takes to settle in every cache after it changed (RFC 7583 §3.3): the TTL its
 * RRset is served with, plus the propagation delay to every name server, plus the policy's safety
 * margin. A rumoured record becomes omnipresent, and an unretentive one hidden, after this wait.
 */
public record KeyTimings(Duration dnskeyTtl, Duration zonePropagation, Duration publishSafety,
    Duration retireSafety, Duration maxZoneTtl, Duration dsTtl, Duration parentPropagation,
    Duration parentNegativeTtl) {

  /** Used when a policy gives no {@code <MaxZoneTTL>}: OpenDNSSEC's default. */
  public static final Duration DEFAULT_MAX_ZONE_TTL = Duration.ofDays(1);

  public static KeyTimings of(KaspPolicy policy) {
    Duration maxZoneTtl = policy.signatures().maxZoneTtl() == null ? DEFAULT_MAX_ZONE_TTL
        : policy.signatures().maxZoneTtl();
    // the SOA and the denial records are signed zone data too
    maxZoneTtl = max(maxZoneTtl, policy.zone().soaTtl());
    maxZoneTtl = max(maxZoneTtl, policy.zone().soaMinimum());
    if (policy.denial().ttl() != null) {
      maxZoneTtl = max(maxZoneTtl, policy.denial().ttl());
    }
    KaspPolicy.Parent parent = policy.parent();
    Duration negative = parent.soaTtl().compareTo(parent.soaMinimum()) < 0 ? parent.soaTtl() : parent.soaMinimum();
    return new KeyTimings(policy.keys().ttl(), policy.zone().propagationDelay(), policy.keys().publishSafety(),
        policy.keys().retireSafety(), maxZoneTtl, parent.dsTtl(), parent.propagationDelay(), negative);
  }

  /**
   * How long after it became rumoured or unretentive a record of {@code type} has settled. Both
   * directions wait the same (the larger of PublishSafety and RetireSafety), so that at any time
   * the record states say exactly which versions of an RRset caches may still hold: a version
   * replaced at time t lives in caches until t + this wait, for an introduction as for a withdrawal
   * ({@link ResolverViews} relies on that).
   */
  public Duration settle(RecordType type, RecordState state) {
    Duration safety = max(publishSafety, retireSafety);
    switch (type) {
      case DS:
        // a cache may also hold the parent's "no DS" answer for its negative TTL
        return max(dsTtl, parentNegativeTtl).plus(parentPropagation);
      case RRSIG:
        return maxZoneTtl.plus(zonePropagation).plus(safety);
      default:
        return dnskeyTtl.plus(zonePropagation).plus(safety);
    }
  }

  /**
   * The timings that hold at {@code now} after a policy change at {@code changedAt}: the larger of
   * the old and the new ones while records published under the old ones may still be cached.
   */
  public static KeyTimings during(KeyTimings current, KeyTimings previous, Instant changedAt, Instant now) {
    Duration longest = Duration.ZERO;
    for (RecordType type : RecordType.values()) {
      longest = max(longest, previous.settle(type, RecordState.RUMOURED));
    }
    if (!changedAt.plus(longest).isAfter(now)) {
      return current;
    }
    return new KeyTimings(max(current.dnskeyTtl, previous.dnskeyTtl),
        max(current.zonePropagation, previous.zonePropagation), max(current.publishSafety, previous.publishSafety),
        max(current.retireSafety, previous.retireSafety), max(current.maxZoneTtl, previous.maxZoneTtl),
        max(current.dsTtl, previous.dsTtl), max(current.parentPropagation, previous.parentPropagation),
        max(current.parentNegativeTtl, previous.parentNegativeTtl));
  }

  /** In words, for {@code rollover list}. */
  public String explain(RecordType type, RecordState state) {
    switch (type) {
      case DS:
        return "parent DS TTL (or negative TTL) + parent propagation delay";
      case RRSIG:
        return "max zone TTL + propagation delay + safety";
      default:
        return "DNSKEY TTL + propagation delay + safety";
    }
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }
}
