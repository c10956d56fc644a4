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

  /** How long after it reached {@code state} a record of {@code type} has settled. */
  public Duration settle(RecordType type, RecordState state) {
    boolean publishing = state == RecordState.RUMOURED;
    switch (type) {
      case DS:
        // a cache may also hold the parent's "no DS" answer for its negative TTL
        return (publishing ? max(dsTtl, parentNegativeTtl) : dsTtl).plus(parentPropagation)
            .plus(publishing ? Duration.ZERO : retireSafety);
      case RRSIG:
        return maxZoneTtl.plus(zonePropagation).plus(publishing ? Duration.ZERO : retireSafety);
      default:
        return dnskeyTtl.plus(zonePropagation).plus(publishing ? publishSafety : retireSafety);
    }
  }

  /** In words, for {@code rollover list}. */
  public String explain(RecordType type, RecordState state) {
    boolean publishing = state == RecordState.RUMOURED;
    switch (type) {
      case DS:
        return (publishing ? "parent DS TTL (or negative TTL)" : "parent DS TTL") + " + parent propagation delay"
            + (publishing ? "" : " + retire safety");
      case RRSIG:
        return "max zone TTL + propagation delay" + (publishing ? "" : " + retire safety");
      default:
        return "DNSKEY TTL + propagation delay + " + (publishing ? "publish" : "retire") + " safety";
    }
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }
}
