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

  /** How many transfers out are kept per zone: a pair's standby transfers each version too, beside the secondaries. */
  static final int OUT_KEPT = 4;

  private final Map<Name, Map<String, Event>> zones = new ConcurrentHashMap<>();
  private final Map<Name, java.util.Deque<Event>> out = new ConcurrentHashMap<>();

  void in(Name zone, String peer, String what) {
    put(zone, "last transfer in", peer, what);
  }

  void out(Name zone, String peer, String what) {
    java.util.Deque<Event> kept = out.computeIfAbsent(zone, z -> new java.util.concurrent.ConcurrentLinkedDeque<>());
    kept.addFirst(new Event(Instant.now(), peer, what));
    while (kept.size() > OUT_KEPT) {
      kept.pollLast();
    }
  }

  void notified(Name zone, String peer, String what) {
    put(zone, "last NOTIFY sent", peer, what);
  }

  private void put(Name zone, String kind, String peer, String what) {
    zones.computeIfAbsent(zone, z -> new ConcurrentHashMap<>()).put(kind, new Event(Instant.now(), peer, what));
  }

  /**
   * The zone's events by kind: "last transfer in", "last transfer out", the transfers out before
   * that ("transfer out before", "transfer out 2 before", newest first), "last NOTIFY sent".
   */
  public Map<String, Event> of(Name zone) {
    Map<String, Event> events = new LinkedHashMap<>(zones.getOrDefault(zone, Map.of()));
    int i = 0;
    for (Event e : out.getOrDefault(zone, new java.util.ArrayDeque<>())) {
      events.put(i == 0 ? "last transfer out" : i == 1 ? "transfer out before"
          : "transfer out " + i + " before", e);
      i++;
    }
    return events;
  }
}
