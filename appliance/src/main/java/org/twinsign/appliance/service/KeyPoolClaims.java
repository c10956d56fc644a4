package org.twinsign.appliance.service;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The pool keys that runs in progress in this process have chosen for their zones and not yet
 * committed or given up. Zones are enforced side by side; without this, every run of a pass would
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

  /** Gives the key back, once its run committed (it left the pool) or gave up (it stays). */
  void release(long id) {
    claimed.remove(id);
  }
}
