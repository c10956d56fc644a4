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
 */
final class SignatureReuse {
  private final Zone previous;
  private final Instant now;
  private final Duration refresh;

  SignatureReuse(Zone previous, Instant now, Duration refresh) {
    this.previous = previous;
    this.now = now;
    this.refresh = refresh;
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
          && !sig.getTimeSigned().isAfter(now) && sig.getExpire().isAfter(freshUntil)) {
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
