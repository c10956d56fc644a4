package org.twinsign.procedures.runbooks;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.xbill.DNS.DNSKEYRecord;
import org.xbill.DNS.DNSSEC;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.RRSIGRecord;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * A zone as one secondary serves it, validated from its apex: the DNSKEY RRset signed by one of
 * its keys with the SEP flag (a KSK), the SOA RRset signed by one of its keys, each signature
 * verified now (not expired, not yet valid, the right key). What resolvers that hold the zone's
 * DS check first; the DS itself is the parent's (ksk-rollover asks the parent).
 *
 * @param serial the SOA serial served
 * @param problem why it does not validate, or null
 */
record SecondaryValidation(long serial, String problem) {
  static SecondaryValidation of(String server, String zone) {
    Name origin;
    try {
      origin = Name.fromString(zone.endsWith(".") ? zone : zone + ".");
    } catch (org.xbill.DNS.TextParseException e) {
      return new SecondaryValidation(-1, "zone " + zone + ": " + e.getMessage());
    }
    try {
      List<Record> keys = answer(server, origin, Type.DNSKEY);
      List<Record> soa = answer(server, origin, Type.SOA);
      RRset dnskeys = rrset(keys, Type.DNSKEY);
      RRset soas = rrset(soa, Type.SOA);
      if (dnskeys == null || soas == null) {
        return new SecondaryValidation(-1, server + " serves no " + (dnskeys == null ? "DNSKEY" : "SOA") + " RRset");
      }
      long serial = ((SOARecord) soas.first()).getSerial();
      Instant now = Instant.now();
      String keyset = verify(dnskeys, signatures(keys, Type.DNSKEY), dnskeys, true, now);
      if (keyset != null) {
        return new SecondaryValidation(serial, server + ": the DNSKEY RRset " + keyset);
      }
      String apex = verify(soas, signatures(soa, Type.SOA), dnskeys, false, now);
      return new SecondaryValidation(serial, apex == null ? null : server + ": the SOA RRset " + apex);
    } catch (IOException | RuntimeException e) {
      return new SecondaryValidation(-1, server + " does not answer for " + zone + ": " + e.getMessage());
    }
  }

  /** Null when one of {@code sigs} verifies {@code set} now under a key of {@code keys} (a KSK, if {@code sep}). */
  private static String verify(RRset set, List<RRSIGRecord> sigs, RRset keys, boolean sep, Instant now) {
    if (sigs.isEmpty()) {
      return "is not signed";
    }
    List<String> why = new ArrayList<>();
    for (RRSIGRecord sig : sigs) {
      for (Record r : keys.rrs()) {
        DNSKEYRecord key = (DNSKEYRecord) r;
        if (key.getFootprint() != sig.getFootprint() || key.getAlgorithm() != sig.getAlgorithm()
            || sep && (key.getFlags() & org.xbill.DNS.DNSKEYRecord.Flags.SEP_KEY) == 0) {
          continue;
        }
        try {
          DNSSEC.verify(set, sig, key, now);
          return null;
        } catch (DNSSEC.DNSSECException e) {
          why.add("key " + key.getFootprint() + ": " + e.getMessage());
        }
      }
    }
    return why.isEmpty() ? "is signed by no key" + (sep ? " with the SEP flag" : "") + " it serves" : "does not"
        + " verify: " + String.join("; ", why);
  }

  private static List<Record> answer(String server, Name name, int type) throws IOException {
    Message a = ServerQuery.send(server, name, type);
    if (a.getRcode() != Rcode.NOERROR) {
      throw new IllegalStateException(Rcode.string(a.getRcode()) + " for " + Type.string(type));
    }
    return a.getSection(Section.ANSWER);
  }

  private static RRset rrset(List<Record> records, int type) {
    RRset set = null;
    for (Record r : records) {
      if (r.getType() == type) {
        if (set == null) {
          set = new RRset(r);
        } else {
          set.addRR(r);
        }
      }
    }
    return set;
  }

  private static List<RRSIGRecord> signatures(List<Record> records, int covered) {
    List<RRSIGRecord> sigs = new ArrayList<>();
    for (Record r : records) {
      if (r instanceof RRSIGRecord s && s.getTypeCovered() == covered) {
        sigs.add(s);
      }
    }
    return sigs;
  }
}
