package org.twinsign.appliance.dnssec;

import java.time.Instant;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.RRSIGRecord;
import org.xbill.DNS.RRset;

/** Makes one RRSIG (RFC 4034 §3, RFC 4035 §2.2) over an RRset with a zone key. */
public final class RrsigFactory {
  private RrsigFactory() {}

  public static RRSIGRecord sign(RRset rrset, ZoneKey key, Name signer, Instant inception, Instant expiration) {
    long ttl = rrset.getTTL();
    RRSIGRecord unsigned = new RRSIGRecord(rrset.getName(), DClass.IN, ttl, rrset.getType(), key.algorithm(), ttl,
        expiration, inception, key.keyTag(), signer, new byte[0]);
    // RRSIG RDATA without the signature, then the RRset in canonical form and order (RFC 4034 §3.1.8.1)
    byte[] data = SignedData.of(unsigned, rrset.rrs(false));
    byte[] signature = key.maker().sign(data);
    return new RRSIGRecord(rrset.getName(), DClass.IN, ttl, rrset.getType(), key.algorithm(), ttl, expiration,
        inception, key.keyTag(), signer, signature);
  }
}
