package org.twinsign.appliance.dns;

import java.util.Map;
import org.xbill.DNS.Name;

/** What an operator asks of a node's DNS side ({@code zone status}, {@code zone notify}). */
public interface DnsOperations {
  /** The zone as this node's DNS side has it: served serial, journal, source, last transfers. */
  Map<String, String> status(Name zone);

  /** Sends NOTIFY of the zone's current serial to the secondaries now; says to whom. */
  String notifyNow(Name zone);
}
