package org.twinsign.appliance.store;

/**
 * Where a master records each action it completed (a store commit, a zone publication) with the
 * epoch it acted under: the history that fault tests check and operators can audit.
 */
@FunctionalInterface
public interface MasterActionLog {
  MasterActionLog NONE = (action, epoch, what, startedNanos) -> { };

  /**
   * @param startedNanos {@link System#nanoTime()} when the action began; it was completed now, so
   *     the action took effect somewhere in between
   */
  void acted(String action, long epoch, String what, long startedNanos);
}
