package org.twinsign.appliance.dnssec;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.List;
import org.xbill.DNS.DNSOutput;
import org.xbill.DNS.RRSIGRecord;
import org.xbill.DNS.Record;

/**
 * The data an RRSIG signs (RFC 4034 §3.1.8.1): the RRSIG RDATA without the signature, then every
 * RR of the RRset in canonical form (§6.2) and canonical order (§6.3, by RDATA). The same bytes as
 * dnsjava's {@code DNSSEC.digestRRset}, with one canonical encoding per record instead of one
 * per comparison.
 */
final class SignedData {
  private SignedData() {}

  static byte[] of(RRSIGRecord rrsig, List<Record> records) {
    DNSOutput header = new DNSOutput(64);
    header.writeU16(rrsig.getTypeCovered());
    header.writeU8(rrsig.getAlgorithm());
    header.writeU8(rrsig.getLabels());
    header.writeU32(rrsig.getOrigTTL());
    header.writeU32(rrsig.getExpire().getEpochSecond());
    header.writeU32(rrsig.getTimeSigned().getEpochSecond());
    header.writeU16(rrsig.getFootprint());
    rrsig.getSigner().toWireCanonical(header);
    byte[] prefix = header.toByteArray();

    int count = records.size();
    byte[][] wires = new byte[count][];
    int total = prefix.length;
    for (int i = 0; i < count; i++) {
      // owner, type, class, TTL, RDLENGTH, RDATA, all canonical; the TTL must be the RRSIG's original TTL
      Record record = records.get(i);
      wires[i] = record.getTTL() == rrsig.getOrigTTL()
          ? record.toWireCanonical()
          : Record.newRecord(record.getName(), record.getType(), record.getDClass(), rrsig.getOrigTTL(),
              record.rdataToWireCanonical()).toWireCanonical();
      total += wires[i].length;
    }
    if (count > 1) {
      int rdataStart = records.get(0).getName().length() + 10;
      Arrays.sort(wires, (a, b) -> Arrays.compareUnsigned(a, rdataStart, a.length, b, rdataStart, b.length));
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(total);
    out.writeBytes(prefix);
    byte[] previous = null;
    for (byte[] wire : wires) {
      // RFC 4034 §6.3: duplicate RRs are not part of an RRset
      if (previous == null || !Arrays.equals(previous, wire)) {
        out.writeBytes(wire);
      }
      previous = wire;
    }
    return out.toByteArray();
  }
}
