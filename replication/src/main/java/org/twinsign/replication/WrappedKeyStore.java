package org.twinsign.replication;

import java.util.List;
import java.util.Set;

/** The replicated store's side of key sync, as a standby reads it from its own replica. */
public interface WrappedKeyStore<K extends WrappedKey> {
  /** The wrapped keys written after {@code seq}, in order, at most {@code limit}. */
  List<K> after(long seq, int limit) throws Exception;

  /** The wrapped key {@code id} as the store holds it now (a refused one may have been mended), or null if gone. */
  K current(String id) throws Exception;

  /** The ids of every key the store still knows: a key missing here was purged. */
  Set<String> known() throws Exception;
}
