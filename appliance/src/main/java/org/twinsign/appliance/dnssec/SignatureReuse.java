package org.twinsign.appliance.dnssec;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import org.twinsign.appliance.zone.Zone;
import org.xbill.DNS.Name;
import org.xbill.DNS.RRSIGRecord;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Record;

/**
 * Incremental signing: a signature from the previous signed zone is kept when it covers exactly
 * the same RRset (same records, same TTL), was made by a key that still signs that RRset, is
 * already valid, and does not expire within the refresh period. This is what lets a promoted
 * standby continue from the master's signatures instead of re-signing everything.
 *
 * <p>A key tag names a key only probably: two keys can share one (RFC 4034 appendix B). A
 * signature is taken as the key's without a verification only when the previous zone's DNSKEY
 * RRset holds exactly one key with that tag and algorithm and it is this key (the signer signs
 * only with published keys). Otherwise each candidate is verified with this key's public key, so
 * that a colliding tag never keeps another key's signature.
 */
final class SignatureReuse {
  private final Zone previous;
  private final Instant now;
  private final Duration refresh;
  private final java.util.Map<ZoneKey, Boolean> unambiguous = new java.util.concurrent.ConcurrentHashMap<>();

  SignatureReuse(Zone previous, Instant now, Duration refresh) {
    this.previous = previous;
    this.now = now;
    this.refresh = refresh;
  }

  /** Whether the previous zone's signatures with the key's tag and algorithm can only be the key's. */
  private boolean unambiguous(ZoneKey key) {
    return unambiguous.computeIfAbsent(key, k -> {
      RRset dnskeys = previous.get(previous.origin(), org.xbill.DNS.Type.DNSKEY);
      if (dnskeys == null) {
        return false;
      }
      int same = 0;
      boolean isThis = false;
      for (Record record : dnskeys.rrs(false)) {
        org.xbill.DNS.DNSKEYRecord dnskey = (org.xbill.DNS.DNSKEYRecord) record;
        if (dnskey.getFootprint() == k.keyTag() && dnskey.getAlgorithm() == k.algorithm()) {
          same++;
          isThis |= java.util.Arrays.equals(dnskey.getKey(), k.dnskey().getKey());
        }
      }
      return same == 1 && isThis;
    });
  }

  private boolean madeBy(RRset rrset, RRSIGRecord sig, ZoneKey key) {
    if (unambiguous(key)) {
      return true;
    }
    try {
      org.xbill.DNS.DNSSEC.verify(rrset, sig, key.dnskey(), now);
      return true;
    } catch (org.xbill.DNS.DNSSEC.DNSSECException e) {
      return false; // another key's signature with the same tag, or a broken one: sign anew
    }
  }

  /** A reusable signature over {@code rrset} by {@code key}, or null. */
  RRSIGRecord find(RRset rrset, ZoneKey key, Name signer) {
    if (previous == null) {
      return null;
    }
    RRset old = previous.node(rrset.getName()).get(rrset.getType());
    if (old == null || old.sigs().isEmpty() || !sameRecords(old, rrset)) {
      return null;
    }
    Instant freshUntil = now.plus(refresh);
    for (RRSIGRecord sig : old.sigs()) {
      if (sig.getFootprint() == key.keyTag() && sig.getAlgorithm() == key.algorithm()
          && sig.getSigner().equals(signer) && sig.getOrigTTL() == rrset.getTTL()
          && !sig.getTimeSigned().isAfter(now) && sig.getExpire().isAfter(freshUntil) && madeBy(old, sig, key)) {
        return sig;
      }
    }
    return null;
  }

  static boolean sameRecords(RRset a, RRset b) {
    if (a.size() != b.size() || a.getTTL() != b.getTTL()) {
      return false;
    }
    if (a.size() == 1) {
      return a.first().equals(b.first()); // most RRsets: no sets to build
    }
    List<Record> left = a.rrs(false);
    return new HashSet<>(left).equals(new HashSet<>(b.rrs(false)));
  }
}
