package org.twinsign.appliance.dnssec;

import org.xbill.DNS.SOARecord;

/** RFC 9077: NSEC and NSEC3 records take the lesser of the SOA's TTL and its MINIMUM field. */
public final class DenialTtl {
  private DenialTtl() {}

  public static long of(SOARecord soa) {
    return Math.min(soa.getTTL(), soa.getMinimum());
  }
}
