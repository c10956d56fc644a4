package org.twinsign.appliance.enforcer;

/**
 * The state of one of a key's records in the DNS, as RFC 7583 §3.1 and Mekking's "Flexible and
 * Robust Key Rollover" define it: whether every, some or no resolver cache may hold it.
 */
public enum RecordState {
  /** Not published, and no cache holds it. */
  HIDDEN,
  /** Published; caches that fetched it before may not have it yet. */
  RUMOURED,
  /** Published, and every cache that holds the RRset holds it. */
  OMNIPRESENT,
  /** Withdrawn; caches that fetched it before may still hold it. */
  UNRETENTIVE;

  /** Whether the record is in the RRset published now. */
  public boolean published() {
    return this == RUMOURED || this == OMNIPRESENT;
  }

  /** Whether some cache may hold the record (its state is not settled). */
  public boolean uncertain() {
    return this == RUMOURED || this == UNRETENTIVE;
  }

  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
