package org.twinsign.appliance.dns;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.xbill.DNS.Name;

/**
 * The last transfers of each zone, in and out, and the last NOTIFY sent, as this node saw them:
 * for {@code zone status}. In memory; thread-safe.
 */
public final class TransferLog {
  /** One event: when, with whom, what. */
  public record Event(Instant at, String peer, String what) {
    @Override
    public String toString() {
      return at + " " + peer + ": " + what;
    }
  }

  private final Map<Name, Map<String, Event>> zones = new ConcurrentHashMap<>();

  void in(Name zone, String peer, String what) {
    put(zone, "last transfer in", peer, what);
  }

  void out(Name zone, String peer, String what) {
    put(zone, "last transfer out", peer, what);
  }

  void notified(Name zone, String peer, String what) {
    put(zone, "last NOTIFY sent", peer, what);
  }

  private void put(Name zone, String kind, String peer, String what) {
    zones.computeIfAbsent(zone, z -> new ConcurrentHashMap<>()).put(kind, new Event(Instant.now(), peer, what));
  }

  /** The zone's events by kind ("last transfer in", "last transfer out", "last NOTIFY sent"). */
  public Map<String, Event> of(Name zone) {
    return new LinkedHashMap<>(zones.getOrDefault(zone, Map.of()));
  }
}
