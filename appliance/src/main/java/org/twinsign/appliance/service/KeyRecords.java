package org.twinsign.appliance.service;

import org.twinsign.appliance.dnssec.DelegationSigner;
import org.twinsign.appliance.store.KeyTable;
import org.xbill.DNS.DClass;
import org.xbill.DNS.DNSKEYRecord;
import org.xbill.DNS.DSRecord;

/** A stored key's DNSKEY and DS records, as the zone and the parent publish them. */
final class KeyRecords {
  private KeyRecords() {}

  static DNSKEYRecord dnskey(String zone, KeyTable.StoredKey key, long ttl) {
    return new DNSKEYRecord(ZoneService.origin(zone), DClass.IN, ttl, key.state().role().dnskeyFlags(),
        DNSKEYRecord.Protocol.DNSSEC, key.state().algorithm(), key.hsm().publicKey());
  }

  /** The DS with SHA-256 (RFC 8624: the digest every validator must support). */
  static DSRecord ds(String zone, KeyTable.StoredKey key, long dnskeyTtl, long dsTtl) {
    return DelegationSigner.of(dnskey(zone, key, dnskeyTtl), DSRecord.Digest.SHA256, dsTtl);
  }

  /** The key tag the DNSKEY of a key in this role has. */
  static int keyTag(org.twinsign.appliance.dnssec.KeyRole role, int algorithm, byte[] publicKey) {
    return new DNSKEYRecord(org.xbill.DNS.Name.root, DClass.IN, 0, role.dnskeyFlags(), DNSKEYRecord.Protocol.DNSSEC,
        algorithm, publicKey).getFootprint();
  }
}
