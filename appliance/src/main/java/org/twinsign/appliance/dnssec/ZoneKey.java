package org.twinsign.appliance.dnssec;

import org.xbill.DNS.DClass;
import org.xbill.DNS.DNSKEYRecord;
import org.xbill.DNS.Name;

/**
 * A key as the signer uses it: its role, its DNSKEY record (whose key tag identifies its
 * signatures) and how to make a signature with it. Where the private key lives (an HSM token, a
 * soft token) is the {@link SignatureMaker}'s business.
 */
public record ZoneKey(String locator, KeyRole role, DNSKEYRecord dnskey, SignatureMaker maker) {

  /** Makes DNS wire-form signatures over data; must be safe to call from several threads. */
  @FunctionalInterface
  public interface SignatureMaker {
    byte[] sign(byte[] data);
  }

  public static ZoneKey of(String locator, KeyRole role, Name zone, long ttl, DnssecAlgorithm algorithm,
      byte[] publicKey, SignatureMaker maker) {
    DNSKEYRecord dnskey = new DNSKEYRecord(zone, DClass.IN, ttl, role.dnskeyFlags(), DNSKEYRecord.Protocol.DNSSEC,
        algorithm.number(), publicKey);
    return new ZoneKey(locator, role, dnskey, maker);
  }

  public int keyTag() {
    return dnskey.getFootprint();
  }

  public int algorithm() {
    return dnskey.getAlgorithm();
  }

  @Override
  public String toString() {
    return role + " " + locator + " (tag " + keyTag() + ", algorithm " + algorithm() + ")";
  }
}
