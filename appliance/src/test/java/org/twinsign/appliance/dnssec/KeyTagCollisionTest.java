package org.twinsign.appliance.dnssec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twinsign.appliance.Verifiers;
import org.twinsign.appliance.zone.Zone;
import org.twinsign.appliance.zone.ZoneFileWriter;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.DNSKEYRecord;
import org.xbill.DNS.DNSSEC;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.RRSIGRecord;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Type;

/**
 * Two keys with the same key tag (RFC 4034 appendix B: a checksum, not a name): a signature made
 * by one is never kept as the other's when the zone is signed again.
 */
class KeyTagCollisionTest {
  private static final Name ORIGIN = Name.fromConstantString("tags.test.");

  @TempDir
  Path dir;

  private record SoftKey(KeyPair pair, ZoneKey zoneKey) {}

  private static SoftKey key(KeyPair pair, KeyRole role) {
    return new SoftKey(pair, SoftZoneKeys.of(pair, role, ORIGIN));
  }

  /** Two ZSKs whose DNSKEYs share a key tag: generated until the birthday bound gives a pair (~300 keys). */
  private static SoftKey[] collidingZsks() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    Map<Integer, SoftKey> byTag = new HashMap<>();
    for (int i = 0; i < 20_000; i++) {
      SoftKey key = key(generator.generateKeyPair(), KeyRole.ZSK);
      SoftKey earlier = byTag.putIfAbsent(key.zoneKey().keyTag(), key);
      if (earlier != null) {
        return new SoftKey[] {earlier, key};
      }
    }
    throw new IllegalStateException("no key tag collision in 20000 keys");
  }

  private static Zone zone() throws Exception {
    Zone zone = new Zone(ORIGIN);
    zone.add(new SOARecord(ORIGIN, DClass.IN, 3600, Name.fromConstantString("ns1.tags.test."),
        Name.fromConstantString("hostmaster.tags.test."), 2026113001, 7200, 3600, 1209600, 3600));
    zone.add(new NSRecord(ORIGIN, DClass.IN, 3600, Name.fromConstantString("ns1.tags.test.")));
    for (int i = 1; i <= 20; i++) {
      zone.add(new ARecord(Name.fromConstantString("host" + i + ".tags.test."), DClass.IN, 3600,
          java.net.InetAddress.getByAddress(new byte[] {(byte) 192, 0, 2, (byte) i})));
    }
    zone.add(new ARecord(Name.fromConstantString("ns1.tags.test."), DClass.IN, 3600,
        java.net.InetAddress.getByAddress(new byte[] {(byte) 192, 0, 2, (byte) 200})));
    return zone;
  }

  private static Zone sign(List<ZoneKey> keys, Zone previous, Instant now, DenialPolicy denial) throws Exception {
    return ZoneSigner.sign(new ZoneSigner.Request(zone(), "generated", keys, denial, SignatureTiming.DEFAULT,
        SerialPolicy.COUNTER, 3600, previous, now, 1, new Random(7))).zone();
  }

  @Test
  void aSignatureOfAKeyWithTheSameTagIsNeverKept() throws Exception {
    SoftKey[] zsks = collidingZsks();
    assertEquals(zsks[0].zoneKey().keyTag(), zsks[1].zoneKey().keyTag());
    assertNotEquals(Arrays.toString(zsks[0].zoneKey().dnskey().getKey()),
        Arrays.toString(zsks[1].zoneKey().dnskey().getKey()));
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    ZoneKey ksk = key(generator.generateKeyPair(), KeyRole.KSK).zoneKey();
    Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    for (DenialPolicy denial : List.of(DenialPolicy.NSEC, DenialPolicy.nsec3(new Nsec3Parameters(0, new byte[0],
        false)))) {
      Zone first = sign(List.of(ksk, zsks[0].zoneKey()), null, now, denial);
      // the same tag, another key: nothing of the first ZSK's may stay
      Zone second = sign(List.of(ksk, zsks[1].zoneKey()), first, now.plusSeconds(60), denial);
      int checked = verifyAll(second);
      assertTrue(checked > 20, "verified " + checked + " signatures");
      Path file = dir.resolve("tags-" + denial.isNsec3() + ".signed");
      ZoneFileWriter.write(second, file);
      Verifiers.Outcome verify = Verifiers.dnssecVerify(file, "tags.test", false);
      assertTrue(verify.ok(), verify.output());
    }
  }

  /** Every signature in the zone verifies with a DNSKEY of the zone that has its tag; returns how many. */
  private static int verifyAll(Zone zone) throws Exception {
    RRset dnskeys = zone.get(ORIGIN, Type.DNSKEY);
    int count = 0;
    for (Map<Integer, RRset> node : zone.rrsetsByName()) {
      for (RRset rrset : node.values()) {
        for (RRSIGRecord sig : rrset.sigs()) {
          boolean verified = false;
          for (Record record : dnskeys.rrs(false)) {
            DNSKEYRecord dnskey = (DNSKEYRecord) record;
            if (dnskey.getFootprint() != sig.getFootprint()) {
              continue;
            }
            try {
              DNSSEC.verify(rrset, sig, dnskey, sig.getTimeSigned().plusSeconds(1));
              verified = true;
            } catch (DNSSEC.DNSSECException e) {
              // another key with this tag
            }
          }
          assertTrue(verified, rrset.getName() + " " + Type.string(rrset.getType()) + ": " + sig);
          count++;
        }
      }
    }
    return count;
  }
}
