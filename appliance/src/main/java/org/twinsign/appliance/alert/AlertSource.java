package org.twinsign.appliance.alert;

import java.util.List;
import java.util.Set;
import org.twinsign.appliance.service.Services;

/**
 * Something that watches for alert conditions: the pair (failover, fencing, replication,
 * eligibility), the keys (standby sync, backup, DS exchange), the signed zones (expiry). The outbox
 * asks each source in turn, on the master, with the term's services.
 */
public interface AlertSource {
  /** The kinds this source watches: an open alert of these kinds that a look no longer returns has cleared. */
  Set<AlertKind> kinds();

  /**
   * What holds now; null when there is nothing to tell yet (nothing of its kinds is cleared then).
   *
   * @throws Exception when the source could not look: nothing of its kinds is cleared then
   */
  List<Condition> look(Services services) throws Exception;

  /**
   * A new term starts: forget what was seen in an earlier one. {@code open} are the keys of this
   * source's alerts the store holds open: a condition with a grace counts as held for them at once,
   * so that a new term neither clears them nor waits out the grace again.
   */
  default void reset(Set<String> open) {}

  /** How often the source is asked at most. */
  default java.time.Duration every() {
    return java.time.Duration.ofSeconds(5);
  }
}
