package org.twinsign.fencing;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Whether a node's clock is too far off to let it act as master: its offset from ZooKeeper's clock
 * ({@link ClusterMembers#clockOffsets}) beyond {@code bound}, on {@link #CONFIRMATIONS} looks in
 * a row (one offset is one write's latency too: a node stalled between reading its clock and the
 * write looks behind once). ZooKeeper's own clock may be the wrong one: a node whose offset is
 * within {@code bound} of the other running node's is not judged (both agree; the alert says
 * which clock to look at). Looked at by one HA loop; read by others ({@link #problem} keeps no state).
 */
public final class ClockSkew {
  /** How many looks in a row a node's clock must be off before it counts. */
  static final int CONFIRMATIONS = 3;

  private final Duration bound;
  private final Map<String, Integer> streaks = new HashMap<>();
  private Map<String, Duration> lastOffsets = Map.of();

  /** {@code bound}: the largest offset accepted; zero turns the judgement off. */
  public ClockSkew(Duration bound) {
    this.bound = bound;
  }

  public boolean enabled() {
    return !bound.isZero();
  }

  /**
   * Looks at {@code offsets} (node to offset from ZooKeeper's clock) once; returns, per node whose
   * clock has now been off on {@link #CONFIRMATIONS} looks in a row, why.
   */
  public Map<String, String> look(Map<String, Duration> offsets) {
    Map<String, String> off = new HashMap<>();
    if (!enabled()) {
      return off;
    }
    for (Map.Entry<String, Duration> e : offsets.entrySet()) {
      Optional<String> why = judge(e.getKey(), offsets, bound);
      int streak = why.isPresent() ? streaks.merge(e.getKey(), 1, Integer::sum) : 0;
      streaks.put(e.getKey(), streak);
      if (streak >= CONFIRMATIONS) {
        off.put(e.getKey(), why.get());
      }
    }
    streaks.keySet().retainAll(offsets.keySet());
    lastOffsets = Map.copyOf(offsets);
    return off;
  }

  /** The look failed (ZooKeeper unreadable): no clock is known to be good until the next look. */
  public void unknown() {
    lastOffsets = Map.of();
  }

  /**
   * Whether {@code node}'s clock was within the bound at the last look (not merely not yet judged
   * off): a node takes over or resumes as master only then, while a running master is judged off
   * only after {@link #CONFIRMATIONS} looks.
   */
  public boolean goodNow(String node) {
    return !enabled() || lastOffsets.containsKey(node) && judge(node, lastOffsets, bound).isEmpty();
  }

  /** {@code node}'s offset from ZooKeeper's clock at the last look, zero if unknown. */
  public Duration offset(String node) {
    return lastOffsets.getOrDefault(node, Duration.ZERO);
  }

  /** Why {@code node}'s clock is off in one look at {@code offsets}, if it is: for an operator's hand-over. */
  public Optional<String> problem(String node, Map<String, Duration> offsets) {
    return enabled() ? judge(node, offsets, bound) : Optional.empty();
  }

  /** Whether {@code node}'s clock is off in this one look, and by how much. */
  static Optional<String> judge(String node, Map<String, Duration> offsets, Duration bound) {
    Duration mine = offsets.get(node);
    if (mine == null || mine.abs().compareTo(bound) <= 0) {
      return Optional.empty();
    }
    for (Map.Entry<String, Duration> other : offsets.entrySet()) {
      if (!other.getKey().equals(node) && other.getValue().minus(mine).abs().compareTo(bound) <= 0) {
        return Optional.empty(); // the other node's clock agrees with this one: ZooKeeper's is the odd one
      }
    }
    return Optional.of("is " + millis(mine) + " off ZooKeeper's clock" + (offsets.size() > 1 ? " and the other"
        + " node's" : "") + ", beyond clock.bound " + bound.toSeconds() + " s");
  }

  private static String millis(Duration d) {
    return (d.isNegative() ? "-" : "+") + String.format(java.util.Locale.ROOT, "%.1f s", d.abs().toMillis() / 1000.0);
  }
}
