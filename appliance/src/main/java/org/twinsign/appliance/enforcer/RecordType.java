package org.twinsign.appliance.enforcer;

import org.twinsign.appliance.dnssec.KeyRole;

/**
 * The records of a key whose states the enforcer tracks (RFC 7583 §3.1): the DS at the parent,
 * the DNSKEY, the signature over the DNSKEY RRset, and the signatures over the rest of the zone.
 */
public enum RecordType {
  DS("DS"),
  DNSKEY("DNSKEY"),
  RRSIG_DNSKEY("RRSIG(DNSKEY)"),
  RRSIG("RRSIG");

  private final String label;

  RecordType(String label) {
    this.label = label;
  }

  /** A KSK has DS, DNSKEY and RRSIG(DNSKEY); a ZSK DNSKEY and RRSIG; a CSK all four. */
  public boolean appliesTo(KeyRole role) {
    switch (this) {
      case DNSKEY:
        return true;
      case RRSIG:
        return role.signsZone();
      default:
        return role.signsKeys();
    }
  }

  public String label() {
    return label;
  }
}
