package org.twinsign.appliance.dnssec;

import org.xbill.DNS.DClass;
import org.xbill.DNS.DNSKEYRecord;
import org.xbill.DNS.Name;

/**
 * A key as the signer uses it: its role, its DNSKEY record (whose key tag identifies its
 * signatures), how to make a signature with it, and what the signer does with it ({@link Use}).
 * Where the private key lives (an HSM token, a soft token) is the {@link SignatureMaker}'s business.
 */
public record ZoneKey(String locator, KeyRole role, DNSKEYRecord dnskey, SignatureMaker maker, Use use) {

  /** Makes DNS wire-form signatures over data; must be safe to call from several threads. */
  @FunctionalInterface
  public interface SignatureMaker {
    byte[] sign(byte[] data);
  }

  /**
   * What the signer does with a key, as the enforcer's record states decide (RFC 7583): publish
   * its DNSKEY; sign the key RRsets (DNSKEY, CDS, CDNSKEY); sign the rest of the zone; and, for a
   * key whose private half is lost, only keep its existing signatures ({@code reuseOnly}).
   * {@code fallback} marks a key that signs, in a key-signing key's place, the zone RRsets that a
   * lost key can no longer sign (the SEP flag means nothing to a validator, RFC 4034 §2.1.1).
   */
  public record Use(boolean publish, boolean signsKeys, boolean signsZone, boolean reuseOnly, boolean fallback) {
    public static Use of(KeyRole role) {
      return new Use(true, role.signsKeys(), role.signsZone(), false, false);
    }
  }

  public static ZoneKey of(String locator, KeyRole role, Name zone, long ttl, DnssecAlgorithm algorithm,
      byte[] publicKey, SignatureMaker maker) {
    return of(locator, role, zone, ttl, algorithm, publicKey, maker, Use.of(role));
  }

  public static ZoneKey of(String locator, KeyRole role, Name zone, long ttl, DnssecAlgorithm algorithm,
      byte[] publicKey, SignatureMaker maker, Use use) {
    DNSKEYRecord dnskey = new DNSKEYRecord(zone, DClass.IN, ttl, role.dnskeyFlags(), DNSKEYRecord.Protocol.DNSSEC,
        algorithm.number(), publicKey);
    return new ZoneKey(locator, role, dnskey, maker, use);
  }

  public int keyTag() {
    return dnskey.getFootprint();
  }

  public int algorithm() {
    return dnskey.getAlgorithm();
  }

  /** Whether the signer may make new signatures with this key. */
  public boolean canSign() {
    return maker != null && !use.reuseOnly();
  }

  @Override
  public String toString() {
    return role + " " + locator + " (tag " + keyTag() + ", algorithm " + algorithm() + ")";
  }
}
