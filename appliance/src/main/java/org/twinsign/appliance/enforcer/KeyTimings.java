package org.twinsign.appliance.enforcer;

import java.time.Duration;
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
  public Duration settle(RecordType type) {
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

  /** Each timing the larger of the two: what holds while records published under either may be cached. */
  public KeyTimings max(KeyTimings other) {
    return new KeyTimings(max(dnskeyTtl, other.dnskeyTtl), max(zonePropagation, other.zonePropagation),
        max(publishSafety, other.publishSafety), max(retireSafety, other.retireSafety),
        max(maxZoneTtl, other.maxZoneTtl), max(dsTtl, other.dsTtl), max(parentPropagation, other.parentPropagation),
        max(parentNegativeTtl, other.parentNegativeTtl));
  }

  /** The longest settle time: after it, nothing published under these timings is cached any more. */
  public Duration longest() {
    Duration longest = Duration.ZERO;
    for (RecordType type : RecordType.values()) {
      longest = max(longest, settle(type));
    }
    return longest;
  }

  /** The timings as text, for the store ({@link #parse}). */
  public String text() {
    return String.join(" ", dnskeyTtl.toString(), zonePropagation.toString(), publishSafety.toString(),
        retireSafety.toString(), maxZoneTtl.toString(), dsTtl.toString(), parentPropagation.toString(),
        parentNegativeTtl.toString());
  }

  public static KeyTimings parse(String text) {
    String[] f = text.trim().split(" ");
    return new KeyTimings(Duration.parse(f[0]), Duration.parse(f[1]), Duration.parse(f[2]), Duration.parse(f[3]),
        Duration.parse(f[4]), Duration.parse(f[5]), Duration.parse(f[6]), Duration.parse(f[7]));
  }

  /** In words, for {@code rollover list}. */
  public String explain(RecordType type) {
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
