package org.twinsign.appliance.dns;

import java.io.IOException;
import org.twinsign.appliance.zone.ZoneDiff;
import org.xbill.DNS.Record;

/**
 * An incremental zone transfer (RFC 1995 §4): the newest SOA, then the condensed diff (the old
 * SOA, the records removed, the new SOA, the records added), then the newest SOA again. A client
 * that is up to date gets the newest SOA alone.
 */
final class Ixfr {
  private Ixfr() {}

  static void send(ServedZones.Version version, ZoneDiff diff, TransferStream stream) throws IOException {
    Record soa = version.zone().soa();
    stream.add(soa);
    stream.add(diff.from());
    for (Record r : diff.removed()) {
      stream.add(r);
    }
    stream.add(diff.to());
    for (Record r : diff.added()) {
      stream.add(r);
    }
    stream.add(soa);
    stream.flush();
  }

  /** The answer of a client that holds the newest serial already. */
  static void upToDate(ServedZones.Version version, TransferStream stream) throws IOException {
    stream.add(version.zone().soa());
    stream.flush();
  }
}
