package org.twinsign.appliance.alert;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * How long a condition must hold, look after look, before it is an alert (Alertmanager's
 * {@code for:}): a standby catching up, a key on its way to the standby's HSM, a secondary
 * transferring take seconds. A source calls {@link #held} for each condition it sees in a look and
 * {@link #lookDone} after it; a condition missing from a look starts over. A new term's source
 * counts what the store holds open as held at once ({@link #reset}), so that it neither clears nor
 * waits for it again.
 */
public final class Grace {
  private final Duration wait;
  private final Map<String, Long> since = new HashMap<>(); // condition key -> first seen (nanos)
  private final Set<String> seen = new HashSet<>();

  public Grace(Duration wait) {
    this.wait = wait;
  }

  /** A new term: forget the last one's looks; {@code open} (condition keys) count as held. */
  public void reset(Set<String> open) {
    since.clear();
    seen.clear();
    long held = System.nanoTime() - wait.toNanos() - 1;
    open.forEach(key -> since.put(key, held));
  }

  /** The condition {@code key} holds in this look: true once it has held for the wait (at once for none). */
  public boolean held(String key) {
    seen.add(key);
    long t = System.nanoTime();
    Long first = since.putIfAbsent(key, t);
    return wait.isZero() || first != null && t - first >= wait.toNanos();
  }

  /** The look is over: a condition it did not see starts its wait over. */
  public void lookDone() {
    since.keySet().retainAll(seen);
    seen.clear();
  }
}
