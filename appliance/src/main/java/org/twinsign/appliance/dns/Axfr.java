package org.twinsign.appliance.dns;

import java.io.IOException;
import java.util.Map;
import org.xbill.DNS.Name;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/** A full zone transfer (RFC 5936): the SOA, every record and signature, the SOA again. */
final class Axfr {
  private Axfr() {}

  /** Sends {@code version} whole as the answer to {@code stream}'s request. */
  static void send(ServedZones.Version version, TransferStream stream) throws IOException {
    Record soa = version.zone().soa();
    stream.add(soa);
    for (Map.Entry<Name, Map<Integer, RRset>> node : version.zone().nodes()) {
      for (RRset rrset : node.getValue().values()) {
        for (Record r : rrset.rrs(false)) {
          if (r.getType() != Type.SOA || !r.getName().equals(version.origin())) {
            stream.add(r);
          }
        }
        for (Record sig : rrset.sigs()) {
          stream.add(sig);
        }
      }
    }
    stream.add(soa);
    stream.flush();
  }
}
