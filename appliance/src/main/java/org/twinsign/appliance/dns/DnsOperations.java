package org.twinsign.appliance.dns;

import java.util.Map;
import org.xbill.DNS.Name;

/** What an operator asks of a node's DNS side ({@code zone status}, {@code zone notify}). */
public interface DnsOperations {
  /** The zone as this node's DNS side has it: served serial, journal, source, last transfers. */
  Map<String, String> status(Name zone);

  /**
   * As {@link #status(Name)}, with {@code digest}: also the SHA-256 of the zone file the standby's
   * copy of the master's version makes (written in memory; for a large zone, seconds).
   */
  default Map<String, String> status(Name zone, boolean digest) {
    return status(zone);
  }

  /** Sends NOTIFY of the zone's current serial to the secondaries now; says to whom. */
  String notifyNow(Name zone);
}
