package org.twinsign.appliance.enforcer;

import org.twinsign.appliance.dnssec.KeyRole;

/**
 * The order in which a new key's records are introduced (RFC 6781 §4.1, RFC 7583 §3): OpenDNSSEC's
 * {@code <KskRollType>}, {@code <ZskRollType>} and {@code <CskRollType>}. Whatever the method, a
 * transition also has to pass {@link ResolverViews}; the method only says what to try first.
 */
public enum RolloverMethod {
  /** ZSK pre-publication / double-KSK: the DNSKEY first; signatures and the DS once it is omnipresent. */
  PRE_PUBLICATION,
  /** Double-DS: the DS at the parent first; the DNSKEY once the DS is omnipresent. */
  DOUBLE_DS,
  /** Double signature: the DNSKEY, its signatures and (for a KSK) the DS together. */
  DOUBLE_SIGNATURE;

  /** The method of an OpenDNSSEC roll type; OpenDNSSEC's defaults when none is given. */
  public static RolloverMethod of(String rollType, KeyRole role) {
    if (rollType == null) {
      return PRE_PUBLICATION;
    }
    switch (rollType) {
      case "KskDoubleDS":
      case "CskDoubleDS":
        return DOUBLE_DS;
      case "KskDoubleSignature":
      case "ZskDoubleSignature":
      case "ZskDoubleRRsig":
      case "CskDoubleSignature":
        return DOUBLE_SIGNATURE;
      default: // KskDoubleRRset, ZskPrePublication, CskDoubleRRset, CskSingleSignature, CskPrePublication
        return PRE_PUBLICATION;
    }
  }
}
