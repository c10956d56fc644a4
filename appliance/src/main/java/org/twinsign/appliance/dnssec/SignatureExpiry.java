package org.twinsign.appliance.dnssec;

import java.time.Instant;
import org.xbill.DNS.RRSIGRecord;
import org.xbill.DNS.Record;

/**
 * The earliest RRSIG expiration of a zone as served or as signed: what a monitoring check
 * compares with its thresholds (SURFnet's and others' "signature expiry" plugins). Fed record by
 * record, so that a zone of a million names is never held whole for it.
 */
public final class SignatureExpiry {
  private long signatures;
  private RRSIGRecord earliest;

  /** Takes one record of the zone; only RRSIGs count. */
  public void add(Record record) {
    if (record instanceof RRSIGRecord sig) {
      signatures++;
      if (earliest == null || sig.getExpire().isBefore(earliest.getExpire())) {
        earliest = sig;
      }
    }
  }

  public long signatures() {
    return signatures;
  }

  /** When the first signature expires; null when there is none. */
  public Instant earliest() {
    return earliest == null ? null : earliest.getExpire();
  }

  /** The earliest RRSIG expiry of a signed zone in memory, in Unix seconds; 0 when it has no signature. */
  public static long of(org.twinsign.appliance.zone.Zone zone) {
    SignatureExpiry expiry = new SignatureExpiry();
    for (var rrsets : zone.rrsetsByName()) {
      for (org.xbill.DNS.RRset set : rrsets.values()) {
        set.sigs().forEach(expiry::add);
      }
    }
    return expiry.earliest() == null ? 0 : expiry.earliest().getEpochSecond();
  }

  /** The RRset the first expiring signature covers ({@code www.example.net/A}); empty when there is none. */
  public String earliestCovers() {
    return earliest == null ? "" : earliest.getName() + "/" + org.xbill.DNS.Type.string(earliest.getTypeCovered());
  }
}
