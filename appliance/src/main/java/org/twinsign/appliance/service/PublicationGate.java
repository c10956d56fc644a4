package org.twinsign.appliance.service;

import org.twinsign.appliance.store.KeyTable;

/**
 * Whether a key may be published (its DNSKEY rumoured, its signatures made): in a pair, only once
 * the standby's HSM was found to hold it, so that a failover never lands on a node that cannot sign
 * with a published key (invariant 3). A single node has nothing to wait for.
 */
@FunctionalInterface
public interface PublicationGate {
  /** Null when the key may be published; otherwise what it waits for, as {@code rollover list} says it. */
  String waitsFor(KeyTable.HsmKeyRow key);

  PublicationGate OPEN = key -> null;
}
