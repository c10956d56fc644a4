package org.twinsign.appliance.dnssec;

import java.util.Locale;
import org.xbill.DNS.DClass;
import org.xbill.DNS.DNSKEYRecord;
import org.xbill.DNS.DSRecord;

/** The DS record a parent publishes for a KSK (RFC 4034 §5; SHA-256 per RFC 4509, SHA-384 per RFC 6605). */
public final class DelegationSigner {
  private DelegationSigner() {}

  /** The DS digest types offered: SHA-256 (2) and SHA-384 (4); SHA-1 is not (RFC 8624). */
  public static int digestType(String text) {
    switch (text.trim().toUpperCase(Locale.ROOT).replace("-", "")) {
      case "SHA256":
      case "2":
        return DSRecord.Digest.SHA256;
      case "SHA384":
      case "4":
        return DSRecord.Digest.SHA384;
      default:
        throw new IllegalArgumentException("DS digest '" + text + "' is not offered: use SHA-256 or SHA-384");
    }
  }

  public static DSRecord of(DNSKEYRecord dnskey, int digestType, long ttl) {
    return new DSRecord(dnskey.getName(), DClass.IN, ttl, digestType, dnskey);
  }
}
