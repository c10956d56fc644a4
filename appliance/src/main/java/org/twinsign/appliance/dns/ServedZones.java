package org.twinsign.appliance.dns;

import org.twinsign.appliance.zone.Journal;
import org.twinsign.appliance.zone.Zone;
import org.xbill.DNS.Name;

/** What the DNS server serves: the node's current signed versions, while it is master. */
public interface ServedZones {
  /**
   * A signed version: never changed once served, so a transfer needs no lock; {@code journal}
   * the diffs that led to it (IXFR).
   */
  record Version(Name origin, long serial, Zone zone, Journal journal) {}

  /**
   * Why this node does not serve zones now (a standby, a master whose lease lapsed), or null
   * when it does. A node that does not serve answers transfers and SOA queries with REFUSED, so
   * that secondaries listing both signers follow the master.
   */
  String notServing();

  /** The zone's current version, or null if this node has none (not a zone of this signer). */
  Version current(Name zone);
}
