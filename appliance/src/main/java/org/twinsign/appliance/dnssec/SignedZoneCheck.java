package org.twinsign.appliance.dnssec;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.twinsign.appliance.zone.Zone;
import org.xbill.DNS.DNSKEYRecord;
import org.xbill.DNS.DNSSEC;
import org.xbill.DNS.NSEC3Record;
import org.xbill.DNS.NSECRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.RRSIGRecord;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/**
 * The last look before a signed version may replace the published one (sign-then-verify): each
 * key's first new signature verifies with that key's DNSKEY as published in the zone's DNSKEY
 * RRset; the zone has a SOA; its DNSKEY RRset carries a verifying signature of a key-signing key;
 * and its NSEC or NSEC3 chain is closed and covers every owner it should. Cheap: a handful of
 * verifications and one walk of the chain. A failure names the key or record and what is wrong.
 */
public final class SignedZoneCheck {
  private SignedZoneCheck() {}

  /** A new signature and the RRset it covers. */
  public record Sample(RRset rrset, RRSIGRecord rrsig) {}

  /** Thrown when a signed version must not be published; the previous version stays. */
  public static final class Failure extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    Failure(String message) {
      super(message);
    }
  }

  static void check(Zone zone, List<ZoneKey> keys, Map<ZoneKey, Sample> firstSignatures, boolean nsec3, Instant now,
      String source) {
    String what = "signed " + zone.origin() + " (from " + source + ") was not published: ";
    if (zone.soa() == null) {
      throw new Failure(what + "it has no SOA record");
    }
    RRset dnskeys = zone.get(zone.origin(), Type.DNSKEY);
    if (dnskeys == null || dnskeys.size() == 0) {
      throw new Failure(what + "it has no DNSKEY RRset");
    }
    for (Map.Entry<ZoneKey, Sample> entry : firstSignatures.entrySet()) {
      ZoneKey key = entry.getKey();
      DNSKEYRecord published = published(dnskeys, key);
      if (published == null) {
        throw new Failure(what + key + " signed, but its DNSKEY is not in the published DNSKEY RRset");
      }
      Sample sample = entry.getValue();
      verify(what + "the new signature of " + key + " over " + sample.rrset().getName() + " "
          + Type.string(sample.rrset().getType()), sample.rrset(), sample.rrsig(), published, now);
    }
    checkKeySetSigned(what, zone, dnskeys, keys, now);
    if (nsec3) {
      checkNsec3Chain(what, zone);
    } else {
      checkNsecChain(what, zone);
    }
  }

  private static DNSKEYRecord published(RRset dnskeys, ZoneKey key) {
    for (Record record : dnskeys.rrs(false)) {
      DNSKEYRecord dnskey = (DNSKEYRecord) record;
      if (dnskey.getAlgorithm() == key.algorithm() && dnskey.getFlags() == key.dnskey().getFlags()
          && Arrays.equals(dnskey.getKey(), key.dnskey().getKey())) {
        return dnskey;
      }
    }
    return null;
  }

  private static void verify(String what, RRset rrset, RRSIGRecord rrsig, DNSKEYRecord dnskey, Instant now) {
    try {
      DNSSEC.verify(rrset, rrsig, dnskey, now);
    } catch (DNSSEC.DNSSECException e) {
      throw new Failure(what + " does not verify with the key's published DNSKEY (" + e.getMessage()
          + "): check the HSM; the last good version stays published");
    }
  }

  /** RFC 4035 §2.2: the DNSKEY RRset is signed by a key that signs keys, and that signature verifies. */
  private static void checkKeySetSigned(String what, Zone zone, RRset dnskeys, List<ZoneKey> keys, Instant now) {
    for (ZoneKey key : keys) {
      if (!key.use().signsKeys()) {
        continue;
      }
      DNSKEYRecord published = published(dnskeys, key);
      for (RRSIGRecord sig : dnskeys.sigs()) {
        if (published != null && sig.getFootprint() == key.keyTag() && sig.getAlgorithm() == key.algorithm()) {
          try {
            DNSSEC.verify(dnskeys, sig, published, now);
            return;
          } catch (DNSSEC.DNSSECException e) {
            // another key with the same tag, or a bad signature: look on
          }
        }
      }
    }
    throw new Failure(what + "its DNSKEY RRset has no signature of a key-signing key that verifies");
  }

  /** The zone's NSEC or NSEC3 records, in the zone's (canonical) order. */
  private static <T extends Record> List<T> chain(Zone zone, int type, Class<T> recordClass) {
    List<T> chain = new ArrayList<>();
    for (Map<Integer, RRset> node : zone.rrsetsByName()) {
      RRset rrset = node.get(type);
      if (rrset != null && rrset.size() > 0) {
        chain.add(recordClass.cast(rrset.first()));
      }
    }
    return chain;
  }

  /** The NSEC chain starts at the apex, visits every NSEC owner once in canonical order, and ends at the apex. */
  private static void checkNsecChain(String what, Zone zone) {
    List<NSECRecord> chain = chain(zone, Type.NSEC, NSECRecord.class);
    if (chain.isEmpty() || !chain.get(0).getName().equals(zone.origin())) {
      throw new Failure(what + "its NSEC chain does not start at the apex");
    }
    for (int i = 0; i < chain.size(); i++) {
      Name expected = chain.get((i + 1) % chain.size()).getName();
      if (!chain.get(i).getNext().equals(expected)) {
        throw new Failure(what + "its NSEC chain is broken at " + chain.get(i).getName() + " (next "
            + chain.get(i).getNext() + ", expected " + expected + ")");
      }
    }
  }

  /** The NSEC3 records, in hash order, each point to the next and the last to the first. */
  private static void checkNsec3Chain(String what, Zone zone) {
    List<NSEC3Record> chain = chain(zone, Type.NSEC3, NSEC3Record.class);
    if (chain.isEmpty() || zone.get(zone.origin(), Type.NSEC3PARAM) == null) {
      throw new Failure(what + "it has no NSEC3 chain or no NSEC3PARAM");
    }
    // owner names under one zone sort like their hashes (same length, base32hex keeps the order)
    for (int i = 0; i < chain.size(); i++) {
      NSEC3Record next = chain.get((i + 1) % chain.size());
      String nextLabel = Nsec3Parameters.base32hex(chain.get(i).getNext());
      if (!nextLabel.equalsIgnoreCase(next.getName().getLabelString(0))) {
        throw new Failure(what + "its NSEC3 chain is broken at " + chain.get(i).getName());
      }
    }
  }
}
