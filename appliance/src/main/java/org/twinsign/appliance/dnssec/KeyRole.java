package org.twinsign.appliance.dnssec;

/**
 * What a key signs (RFC 6781 §3.1): a KSK the DNSKEY RRset (and CDS/CDNSKEY), a ZSK everything
 * else, a CSK both. KSKs and CSKs carry the SEP flag.
 */
public enum KeyRole {
  KSK(257),
  ZSK(256),
  CSK(257);

  private final int flags;

  KeyRole(int flags) {
    this.flags = flags;
  }

  /** DNSKEY flags: ZONE (256), plus SEP (1) for KSK and CSK. */
  public int dnskeyFlags() {
    return flags;
  }

  /** Whether this role signs the key RRsets (DNSKEY, CDS, CDNSKEY). */
  public boolean signsKeys() {
    return this != ZSK;
  }

  /** Whether this role signs the zone's other RRsets. */
  public boolean signsZone() {
    return this != KSK;
  }
}
