package org.twinsign.fencing;

import java.util.OptionalLong;

/**
 * The right to act as master, as a fencing epoch plus a validity that can end at any instant.
 *
 * <p>Semantics: every master action (a store commit, publishing a zone, generating or deleting an
 * HSM key, running a DS command, sending a NOTIFY, answering a transfer as master) calls
 * {@link #check(String)} just before it acts, not only when its work began, and carries
 * {@link #epoch()} into what it writes. A lease that was valid when a signing started may be gone
 * by the time the result is committed; the commit is then refused and nothing is published.
 * {@link #valid()} is cheap and may be polled by long work (a signing) to stop early.
 *
 * <p>A lease without an epoch exists only for a node configured as a single signer
 * ({@code node.mode=single}): it has no rival, so it writes with the epoch the store already holds.
 */
public interface Lease {
  /** The fencing epoch this holder writes with; empty only for {@link #singleNode()}. */
  OptionalLong epoch();

  /** Whether master actions may run now. */
  boolean valid();

  /**
   * Refuses {@code action} unless the lease is valid now.
   *
   * @throws LeaseLostException naming the action and why the lease is not valid
   */
  default void check(String action) {
    if (!valid()) {
      throw new LeaseLostException("refused to " + action + ": " + describe()
          + "; nothing was done, and a node that holds a valid lease does it");
    }
  }

  /** What this lease is and, when not valid, why; for messages. */
  String describe();

  /** The lease of a node that is configured as the only signer: always valid, no epoch of its own. */
  static Lease singleNode() {
    return SingleNodeLease.INSTANCE;
  }
}
