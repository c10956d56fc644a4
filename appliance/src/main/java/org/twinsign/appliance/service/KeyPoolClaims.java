package org.twinsign.appliance.service;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The pool keys that runs in this process have chosen for their zones: in progress, or committed
 * (those left the pool). Zones are enforced side by side; without this, every run of a pass would
 * choose the same first key of the pool, and all but one would find it claimed at commit and start
 * over. The store's claim at commit stays the guard (against other processes); this only spreads
 * the choices. Thread-safe.
 */
public final class KeyPoolClaims {
  private final Set<Long> claimed = ConcurrentHashMap.newKeySet();

  /** Claims the pool key with this store id; false if a run in progress has it. */
  boolean claim(long id) {
    return claimed.add(id);
  }

  /**
   * Gives the key back when its run gave up (the key stays in the pool). A key whose run committed
   * left the pool for good and is never given back: runs that read the pool before that commit
   * would otherwise choose it again, and find it taken at their own commit.
   */
  void release(long id) {
    claimed.remove(id);
  }
}
