package org.twinsign.appliance.dnssec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.net.InetAddress;
import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.DNSSEC;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.RRSIGRecord;
import org.xbill.DNS.RRset;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

/** Our signed-data encoding is byte for byte dnsjava's, on RRsets of several records in any order. */
class SignedDataTest {

  @Test
  void matchesDnsjavaOnRandomRrsets() throws Exception {
    Random random = new Random(7);
    Name signer = Name.fromString("Example.TEST.");
    for (int round = 0; round < 500; round++) {
      Name owner = Name.fromString((round % 3 == 0 ? "*.W" : "Host") + round + ".Example.test.");
      RRset rrset = new RRset();
      int type = new int[] {Type.A, Type.AAAA, Type.MX, Type.TXT}[round % 4];
      int size = 1 + random.nextInt(5);
      for (int i = 0; i < size; i++) {
        switch (type) {
          case Type.A:
            rrset.addRR(new ARecord(owner, DClass.IN, 300, InetAddress.getByName("192.0.2." + random.nextInt(256))));
            break;
          case Type.AAAA:
            rrset.addRR(new AAAARecord(owner, DClass.IN, 300,
                InetAddress.getByName("2001:db8::" + Integer.toHexString(random.nextInt(65536)))));
            break;
          case Type.MX:
            rrset.addRR(new MXRecord(owner, DClass.IN, 300, random.nextInt(50),
                Name.fromString("MX" + random.nextInt(9) + ".Example.net.")));
            break;
          default:
            rrset.addRR(new TXTRecord(owner, DClass.IN, 300, "t" + "x".repeat(random.nextInt(250))));
            break;
        }
      }
      RRSIGRecord rrsig = new RRSIGRecord(owner, DClass.IN, 300, type, 13, 300, Instant.ofEpochSecond(1900000000L),
          Instant.ofEpochSecond(1800000000L), random.nextInt(65536), signer, new byte[0]);
      assertArrayEquals(DNSSEC.digestRRset(rrsig, rrset), SignedData.of(rrsig, rrset.rrs(false)),
          "round " + round + ": " + rrset);
    }
  }
}
