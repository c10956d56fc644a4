package org.twinsign.replication;

import java.util.Set;

/** This node's HSM as key sync uses it. */
public interface KeyVault<K extends WrappedKey> {
  /** The ids of the keys the HSM holds (one search; they need not all be the store's). */
  Set<String> held() throws Exception;

  /**
   * Unwraps {@code key} into the HSM and checks it there. Refuses, with a message naming the key
   * and what to do, a key it cannot take; leaves nothing behind then.
   */
  void install(K key) throws Exception;

  /** Destroys the key: the store purged it. */
  void remove(String id) throws Exception;
}
