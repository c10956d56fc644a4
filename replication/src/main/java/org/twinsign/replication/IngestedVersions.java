package org.twinsign.replication;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What a standby ingested of its master's output, item by item (for the appliance: each signed
 * zone), with the fencing epoch under which the master published it. Only forward: a version
 * published under a lower epoch than one already ingested (a deposed master's), or whose serial is
 * not newer than the one held, is refused, so that a promotion never continues from a stale copy.
 * Thread-safe.
 */
public final class IngestedVersions {
  /** One item's last ingested version. */
  public record Version(long epoch, long serial, Instant at) {}

  /** How serials compare (for DNS: RFC 1982 serial arithmetic). */
  @FunctionalInterface
  public interface SerialOrder {
    boolean newer(long candidate, long than);
  }

  private final SerialOrder order;
  private final Map<String, Version> versions = new LinkedHashMap<>();

  public IngestedVersions(SerialOrder order) {
    this.order = order;
  }

  /**
   * Records that {@code item} is at {@code serial}, published under {@code epoch}.
   *
   * @throws IllegalStateException naming the item, when the epoch is lower than the last one
   *     ingested, or the serial is not newer than the one held (the same serial again is no change)
   */
  public synchronized void accept(String item, long epoch, long serial, Instant at) {
    Version last = versions.get(item);
    if (last != null) {
      if (epoch < last.epoch()) {
        throw new IllegalStateException(item + ": serial " + serial + " comes from epoch " + epoch + ", but epoch "
            + last.epoch() + " published serial " + last.serial() + " already: a deposed master's output, refused");
      }
      if (serial == last.serial()) {
        return;
      }
      if (!order.newer(serial, last.serial())) {
        throw new IllegalStateException(item + ": serial " + serial + " is not newer than the " + last.serial()
            + " ingested: refused");
      }
    }
    versions.put(item, new Version(epoch, serial, at));
  }

  public synchronized Optional<Version> of(String item) {
    return Optional.ofNullable(versions.get(item));
  }

  public synchronized Map<String, Version> all() {
    return Map.copyOf(versions);
  }

  /** Forgets every item not in {@code items} (deleted); and everything, with an empty set. */
  public synchronized void retain(Set<String> items) {
    versions.keySet().retainAll(items);
  }
}
